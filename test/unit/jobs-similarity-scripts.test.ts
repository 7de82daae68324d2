/**
 * The quality gate's text checks in other scripts than ASCII Latin: normalising, shingles,
 * near-duplicates, the answer near-copy check and exact duplicates (fingerprints), in Latin with
 * accents (French, Spanish, Vietnamese), Cyrillic, Devanagari, and Chinese, Japanese and Korean.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import {
  ANSWER_NEAR_COPY_THRESHOLD,
  type CheckContext,
  checkQuestions,
  DEFAULT_GATE,
  fingerprint,
  type ModelQuestion,
  optionProblems,
  resolveAnswer,
} from '#jobs/questions.ts';
import {
  duplicateKey,
  NearDuplicateIndex,
  normalizeText,
  SHINGLE_SIZE,
  shingles,
  similarity,
} from '#jobs/similarity.ts';

const NEAR = DEFAULT_GATE.nearDuplicateThreshold;

const context = (overrides: Partial<CheckContext> = {}): CheckContext => ({
  difficulty: 1,
  defaultCategory: 'general',
  seen: new Set(),
  ...overrides,
});

function mcq(question: string, options: [string, string, string, string], answer = 'a'): ModelQuestion {
  return {
    question,
    options: options.map((text, i) => ({ id: 'abcd'[i] as string, text })),
    correct_answer: answer,
    explanation: 'Parce que.',
    category: 'langue',
    tags: [],
    bloom_level: 'remember',
  };
}

describe('normalizeText', () => {
  it('keeps Devanagari vowel signs and virama inside their words', () => {
    // हिन्दी: ह + ि (vowel sign, Mc) + न + ् (virama, Mn) + द + ी (vowel sign, Mc). A class of
    // letters and digits alone split it into "ह न द".
    assert.equal(normalizeText('हिन्दी में प्रश्न?'), 'हिन्दी में प्रश्न');
  });

  it('lower-cases Cyrillic and Latin with accents, keeping the accents', () => {
    assert.equal(normalizeText('Какова ЦЕЛЬ?'), 'какова цель');
    assert.equal(normalizeText('Où est l’ÉLÈVE ?'), 'où est l élève');
  });

  it('composes a decomposed accent (NFKC) and folds full-width forms', () => {
    assert.equal(normalizeText('e\u0301le\u0300ve'), 'élève');
    assert.equal(normalizeText('ＣＳＳ　の目的'), 'css の目的');
  });
});

describe('duplicateKey: Latin accents folded, other marks kept', () => {
  it('folds French, Spanish and Vietnamese diacritics', () => {
    assert.equal(duplicateKey('Élève, où es-tu ?'), duplicateKey('Eleve, ou es-tu ?'));
    assert.equal(duplicateKey('¿Qué año empezó?'), duplicateKey('Que ano empezo?'));
    assert.equal(duplicateKey('Thủ đô của Việt Nam là gì?'), 'thu đo cua viet nam la gi');
  });

  it('does not fold Devanagari vowel signs: कम ("less") and काम ("work") stay two words', () => {
    assert.notEqual(duplicateKey('कम'), duplicateKey('काम'));
    assert.equal(duplicateKey('काम'), 'काम');
  });

  it('keeps Cyrillic й and ё, letters of their own', () => {
    assert.equal(duplicateKey('мой ёж'), 'мой ёж');
  });
});

describe('shingles per script', () => {
  it('are the 5-character shingles of the whole text for an alphabetic script', () => {
    assert.equal(SHINGLE_SIZE.spaced, 5);
    assert.deepEqual(
      [...shingles('Какова цель?')],
      ['каков', 'акова', 'кова ', 'ова ц', 'ва це', 'а цел', ' цель'],
    );
  });

  it('are two characters long in Han, kana and Hangul runs, five in the Latin runs beside them', () => {
    assert.deepEqual(
      [...shingles('CSS flexbox 的用途')],
      ['css f', 'ss fl', 's fle', ' flex', 'flexb', 'lexbo', 'exbox', '的用', '用途'],
    );
    assert.deepEqual([...shingles('目的は何')], ['目的', '的は', 'は何']);
    assert.deepEqual([...shingles('목적은')], ['목적', '적은']);
  });

  it('never cut a character outside the Basic Multilingual Plane in half', () => {
    // CJK Extension B: one character, two UTF-16 code units each.
    assert.deepEqual([...shingles('𠀋𠀍𠀎')], ['𠀋𠀍', '𠀍𠀎']);
  });
});

describe('near-duplicates in other scripts', () => {
  // Measured: a copy of a question without one qualifier against a different question on the
  // same topic. Five-character shingles cannot tell them apart in Chinese or Japanese (the copy
  // scores as low as an unrelated question); two-character shingles can, as five do in English.
  const cases = [
    {
      script: 'English (Latin)',
      question: 'What is the main purpose of CSS flexbox?',
      copy: 'What is the purpose of CSS flexbox?',
      other: 'How does CSS flexbox align items on the cross axis?',
    },
    {
      script: 'Chinese (Han)',
      question: '光合作用的主要产物是什么？',
      copy: '光合作用主要产物是什么？',
      other: '光合作用主要发生在细胞的哪个部位？',
    },
    {
      script: 'Japanese (Han and kana)',
      question: '光合作用の主な目的は何ですか？',
      copy: '光合作用の目的は何ですか？',
      other: '光合作用は細胞のどこで行われますか？',
    },
    {
      script: 'Korean (Hangul)',
      question: 'CSS 플렉스박스의 주요 목적은 무엇입니까?',
      copy: 'CSS 플렉스박스의 목적은 무엇입니까?',
      other: 'CSS 플렉스박스는 교차 축에서 항목을 어떻게 정렬합니까?',
    },
    {
      script: 'Devanagari',
      question: 'सीएसएस फ्लेक्सबॉक्स का मुख्य उद्देश्य क्या है?',
      copy: 'सीएसएस फ्लेक्सबॉक्स का उद्देश्य क्या है?',
      other: 'सीएसएस फ्लेक्सबॉक्स क्रॉस अक्ष पर आइटम कैसे संरेखित करता है?',
    },
    {
      script: 'French (Latin with accents)',
      question: "Quel est le rôle principal d'un élément <main> en HTML ?",
      copy: "Quel est le role principal d'un element <main> en HTML ?",
      other: 'Quelle balise HTML regroupe la navigation du site ?',
    },
  ];

  for (const { script, question, copy, other } of cases) {
    it(`${script}: the copy is a near-duplicate, the other question is not`, () => {
      const index = new NearDuplicateIndex([question]);

      assert.ok(similarity(question, copy) >= NEAR, `${script} copy: ${similarity(question, copy)}`);
      assert.ok(similarity(question, other) < 0.4, `${script} other: ${similarity(question, other)}`);
      assert.equal(index.nearest(copy, NEAR)?.text, question);
      assert.equal(index.nearest(other, NEAR), undefined);
    });
  }

  it('measures why dense scripts take 2-character shingles: 5 cannot tell a copy from another question', () => {
    const [zh, ja] = [cases[1], cases[2]];
    assert.ok(zh && ja);
    const five = { spaced: 5, dense: 5 };

    // Chinese, the copy one character short (的): 0.25 in 5-character shingles, far below the
    // threshold; 0.75 in 2-character ones, where the other question scores 0.18.
    assert.equal(similarity(zh.question, zh.copy, five).toFixed(2), '0.25');
    assert.equal(similarity(zh.question, zh.copy).toFixed(2), '0.75');
    assert.equal(similarity(zh.question, zh.other).toFixed(2), '0.18');
    // Japanese: 0.29 in 5-character shingles; 0.71 in 2-character ones, against 0.16.
    assert.equal(similarity(ja.question, ja.copy, five).toFixed(2), '0.29');
    assert.equal(similarity(ja.question, ja.copy).toFixed(2), '0.71');
    assert.equal(similarity(ja.question, ja.other).toFixed(2), '0.16');
  });

  it('the gate rejects a Cyrillic near-duplicate and a French copy without accents', () => {
    const bank = new NearDuplicateIndex(['Какова основная цель гибкого контейнера в CSS?']);
    const checked = checkQuestions(
      [
        mcq('Какова основная цель гибкого контейнера CSS?', ['Раскладка', 'Цвет', 'Шрифт', 'Анимация']),
        mcq('Élève : quel mot désigne la personne qui apprend ?', ['élève', 'maître', 'école', 'cahier']),
        mcq('Eleve : quel mot designe la personne qui apprend ?', ['eleve', 'maitre', 'ecole', 'cahier']),
      ],
      context({ bank }),
    );

    assert.equal(checked.accepted.length, 1);
    assert.deepEqual(
      checked.rejected.map((r) => [r.index, r.checks]),
      [
        [0, ['near_duplicate']],
        [2, ['duplicate']],
      ],
    );
  });
});

describe('options and answers keep their accents', () => {
  it('accepts "ou" as a distractor for "où" (distinct options, not a near-copy)', () => {
    const item = mcq('Complétez : « Je ne sais pas ___ il habite. »', ['où', 'ou', 'oû', 'houx']);

    assert.deepEqual(optionProblems(['où', 'ou', 'oû', 'houx'], 0, DEFAULT_GATE), []);
    assert.equal(resolveAnswer({ options: item.options, correct_answer: 'où' }), 'a');
    assert.equal(checkQuestions([item], context()).accepted.length, 1);
  });

  it('still sees a distractor that copies the answer in Devanagari', () => {
    const options = ['प्रकाश संश्लेषण', 'प्रकाश संश्लेषणों', 'श्वसन', 'वाष्पोत्सर्जन'];

    assert.deepEqual(
      optionProblems(options, 0, DEFAULT_GATE).map((p) => p.check),
      ['answer_near_copy'],
    );
    assert.ok(similarity(options[0] as string, options[1] as string, 3, false) >= ANSWER_NEAR_COPY_THRESHOLD);
  });
});

describe('fingerprint', () => {
  it('is one for a question with and without Latin accents, two for Devanagari words that differ in a vowel sign', () => {
    assert.equal(fingerprint('¿Cuál es la capital de España?'), fingerprint('Cual es la capital de Espana?'));
    assert.notEqual(fingerprint('कम क्या है?'), fingerprint('काम क्या है?'));
    assert.notEqual(fingerprint('光合作用是什么？'), fingerprint('光合作用在哪里？'));
  });
});
