import { RE2JS } from 're2js';
import { fold } from './normalize';

/**
 * Fixed phrasings whose meaning does not depend on the shop's content, recognized whatever the case, accents or
 * courtesy around them: asking for a person, and leaving a "did you mean" (annuler, cancel, anulează). All
 * patterns run on folded text (lower case, no accents, punctuation as spaces) of at most MAX_CHARS characters.
 */

const MAX_CHARS = 300;

// People a customer asks for: words that name a person of the shop...
const STAFF =
  /\b(?:human|humans|agent|operator|advisor|adviser|representative|staff|employee|colleague|real\s+person|humain|humains|conseiller|conseillere|operateur|operatrice|employe|vraie\s+personne|vrai\s+conseiller|om|oameni|om\s+adevarat|persoana\s+reala|consultant|coleg|angajat)\b/;
// ...and words for anyone, which ask for a person only with talking ("I need someone to install it" does not).
const ANYONE = /\b(?:someone|somebody|a\s+person|quelqu'?un|qqn|qqun|une\s+personne|cineva|o\s+persoana)\b/;
const TALK =
  /\b(?:talk|speak|chat|put\s+me\s+through|transfer|connect|parler|discuter|passez[\s-]moi|passe[\s-]moi|mettez[\s-]moi\s+en\s+relation|transferez|vorbi|vorbesc|vorbim|legatura|transferati|dati[\s-]mi|da[\s-]mi)\b/;
// Wanting, talking, being put through (or refusing the bot): a request, not a question about who answers.
const WANTS =
  /\b(?:want|wanna|need|talk|speak|chat|put\s+me|transfer|connect|give\s+me|get\s+me|let\s+me|please|pls|not\s+a\s+(?:robot|bot|machine)|veux|voudrais|veut|besoin|parler|discuter|passez|passer|mettez|transferez|donnez|svp|pas\s+(?:un|une|de)\s+(?:robot|bot|machine)|vreau|vrea|vorbesc|vorbi|vorbim|dati|da|transferati|legatura|nevoie|va\s+rog|nu\s+(?:un|cu\s+un)\s+(?:robot|bot))\b/;
// Asking whether the bot is a person is a question about the bot, not a request for one.
const ASKS_WHO =
  /\b(?:are\s+you|is\s+this|am\s+i\s+(?:talking|speaking|chatting)|es[\s-]tu|etes[\s-]vous|c'?est\s+(?:une|un)\s+(?:vrai|vraie)|suis[\s-]je|esti|sunteti|e\s+un|este\s+un|vorbesc\s+cu\s+un\s+(?:robot|program))\b/;

/** "HELLO I WANT A HUMAN NOT A ROBOT", "passez-moi qqn svp", "vreau un om, nu un robot". */
export function asksForPerson(text: string): boolean {
  const f = fold(text.slice(0, MAX_CHARS));
  const asks = (STAFF.test(f) && WANTS.test(f)) || (ANYONE.test(f) && TALK.test(f));
  return asks && !ASKS_WHO.test(f);
}

// A whole message that only leaves what is offered, with optional courtesy: never a question about an order. Built
// from parts, so compiled with RE2 (linear whatever the input) rather than proven by the regex walker.
const DISMISS = RE2JS.compile(
  '^(?:(?:non|no|nu|ok|okay|bon|bah|euh|hmm|alors|so|well|pai|deci|merci|thanks|mersi|multumesc|c\\x27?\\s*est\\s+bon)\\s+)*' +
    '(?:annuler|annule|annulez|laisse\\s+tomber|laissez\\s+tomber|oublie|oubliez|aucun|aucune|ni\\s+l\\x27?\\s*un\\s+ni\\s+l\\x27?\\s*autre|rien|non\\s+merci|' +
    'cancel|never\\s+mind|nevermind|forget\\s+it|neither|none|no\\s+thanks|nothing|stop|' +
    'anuleaza|anulez|anulati|renunt|renuntam|lasa|lasati|las[\\s-]o\\s+balta|lasa\\s+balta|niciuna|niciunul|nimic|nu\\s+multumesc|stop)' +
    '(?:\\s+(?:merci|thanks|mersi|please|svp|va\\s+rog|c\\x27?\\s*est\\s+bon|ca|that|it|asta|pas))*$',
);

/** "annuler", "laisse tomber", "never mind", "renunț": leave the "did you mean" offered. */
export function isDismissal(text: string): boolean {
  if (text.length > MAX_CHARS) return false;
  return DISMISS.test(fold(text));
}
