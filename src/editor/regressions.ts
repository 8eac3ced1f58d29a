import type { Lang } from '../domain/types';
import type { PublishedContent } from '../content/build';
import { selfTest, type Confusion } from '../content/selfTest';
import { fold } from '../nlp/normalize';

export interface Regression {
  question: string;
  lang: Lang;
  expected: string;
  got: string | null;
}

type Testable = Pick<PublishedContent, 'kb' | 'matcher'>;

/** The self-test's confusions of the versions seen lately (by version id), to compare a change against. */
export class RegressionCheck {
  private readonly confusions = new Map<string, Set<string>>();

  private confusionKeys(c: Testable): Set<string> {
    return this.confusions.get(c.kb.version) ?? this.remember(c.kb.version, selfTest(c, 2).confusions);
  }

  private remember(version: string, confusions: Confusion[]): Set<string> {
    const keys = new Set(confusions.map((x) => `${x.lang}\0${fold(x.question)}`));
    if (this.confusions.size > 20) this.confusions.clear();
    this.confusions.set(version, keys);
    return keys;
  }

  /**
   * Sample questions of other entries that resolved to their entry before the change and no longer do. A question
   * that already failed before (for any entry: the same question in two entries flips between them) does not count.
   */
  between(before: Testable, next: Testable, edited: string, nextConfusions?: Confusion[]): Regression[] {
    const failed = this.confusionKeys(before);
    const confusions = nextConfusions ?? selfTest(next, 2).confusions;
    // Kept: the next change compares against this version (usually the one about to be published).
    this.remember(next.kb.version, confusions);
    return confusions
      .filter((c) => c.entry !== edited && !failed.has(`${c.lang}\0${fold(c.question)}`))
      .map((c) => ({ question: c.question, lang: c.lang, expected: c.entry, got: c.resolvedTo }));
  }
}
