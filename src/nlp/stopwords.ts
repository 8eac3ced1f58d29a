import type { Lang } from '../domain/types';

// Folded (no accents) function words. Negations ("not", "pas", "nu") and courtesy words ("merci",
// "bonjour", "mulțumesc") are deliberately NOT here: "colis pas reçu" and small talk must keep their meaning.
const EN = `a an the and or but if then than so to of in on at by for with about from into over under as is are was were be been
being am do does did doing have has had having i me my mine myself you your yours we us our ours he him his she her hers it its
they them their theirs this that these those there here what which who whom whose when where why how can could would should will
shall may might must just also too very really some any all each both
up down out off again further once only own same such get got`;

const FR = `le la les l un une des du de d et ou mais donc or ni car a au aux en dans par pour sur sous avec sans chez vers entre
je j me m moi tu te t toi il elle on nous vous ils elles se s lui leur leurs y ce c cet cette ces ca cela ceci mon ma mes ton
ta tes son sa ses notre nos votre vos qui que qu quoi dont est es suis sont etes sommes etait ete etre ai as avons avez ont avait
avoir fait faire comme si tres bien aussi alors est-ce voila ici la-bas quel quelle quels quelles`;

const RO = `si sau dar iar ca ca sa de la in din pe cu pentru prin spre despre fara intre pana catre un o unui unei niste
eu tu el ea noi voi ei ele ma te se il o ii le ne va imi iti isi ne mi ti si-a mi-a mea meu mele mei ta tau tale tai sa sau
lui ei lor nostru noastra vostru voastra este e sunt sint esti suntem sunteti era fost fi am ai are au avem aveti a fost
acest aceasta aceste acesti acel acea cel cea cei cele care ce cine cum unde cand cat cate foarte mai doar si-n intr-un
intr-o dintr-un dintr-o`;

const lists: Record<Lang, Set<string>> = {
  en: new Set(EN.split(/\s+/)),
  fr: new Set(FR.split(/\s+/)),
  ro: new Set(RO.split(/\s+/)),
};

export function isStopword(foldedToken: string, lang: Lang): boolean {
  return lists[lang].has(foldedToken);
}

export function stopwords(lang: Lang): ReadonlySet<string> {
  return lists[lang];
}
