"""Specification of the Arabic sentence splitter, as tables of real strings and their expected split."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mt.records import Segment
from mt.text.segment import INVISIBLE, split_sentences, sub_split

BOUNDARIES = [
    # sentence ends with and without a following space
    ("ذهب أحمد إلى السوق. اشترى خبزا.", ["ذهب أحمد إلى السوق.", "اشترى خبزا."]),
    ("زار الوفد اسطنبول.وقام بجولة.", ["زار الوفد اسطنبول.", "وقام بجولة."]),
    ("في 26 تشرين الثاني\".ورجح المتحدث ذلك", ["في 26 تشرين الثاني\".", "ورجح المتحدث ذلك"]),
    ("هل ستحضر الاجتماع؟ نعم سأحضر.", ["هل ستحضر الاجتماع؟", "نعم سأحضر."]),
    ("هل ستحضر الاجتماع؟نعم سأحضر", ["هل ستحضر الاجتماع؟", "نعم سأحضر"]),
    ("يا له من يوم! عاد الجميع.", ["يا له من يوم!", "عاد الجميع."]),
    ("Is it true? Yes it is.", ["Is it true?", "Yes it is."]),
    ("انتظرنا طويلا… وقال السائق إن القطار تأخر.", ["انتظرنا طويلا…", "وقال السائق إن القطار تأخر."]),
    ("انتظرنا طويلا... وقال السائق إن القطار تأخر.", ["انتظرنا طويلا...", "وقال السائق إن القطار تأخر."]),
    ("لم يصل أحد بعد... الجميع ينتظرون.", ["لم يصل أحد بعد...", "الجميع ينتظرون."]),
    ("قتل السفير الأمريكي.. ولا نريد الفوضى", ["قتل السفير الأمريكي..", "ولا نريد الفوضى"]),
    ("ماذا حدث؟! لا أحد يعرف.", ["ماذا حدث؟!", "لا أحد يعرف."]),
    ("انتهى الأمر۔ بدأ غيره", ["انتهى الأمر۔", "بدأ غيره"]),
    ("ارتفع الإنتاج في عام 2012. وقال الوزير ذلك.", ["ارتفع الإنتاج في عام 2012.", "وقال الوزير ذلك."]),
    # closing quotes and brackets stay with the sentence they close
    ("قال: \"لن نتراجع.\" ثم غادر.", ["قال: \"لن نتراجع.\"", "ثم غادر."]),
    ("قال: «لن نتراجع.» ثم غادر.", ["قال: «لن نتراجع.»", "ثم غادر."]),
    ("قال: “لن نتراجع.” ثم غادر.", ["قال: “لن نتراجع.”", "ثم غادر."]),
    ("(وهذا ما حدث.) ثم عاد الهدوء.", ["(وهذا ما حدث.)", "ثم عاد الهدوء."]),
    ("[انتهى البيان.] بدأ النقاش.", ["[انتهى البيان.]", "بدأ النقاش."]),
    # a quote that opens right after a sentence end belongs to the next sentence
    ("انتهى الاجتماع.\"لن نتراجع\" قال الوزير.", ["انتهى الاجتماع.", "\"لن نتراجع\" قال الوزير."]),
    # multi-sentence quotations are split at their inner sentence ends
    (
        "وأضاف: \"نحن مستعدون. لن نتراجع\". وكان قد أكد ذلك.",
        ["وأضاف: \"نحن مستعدون.", "لن نتراجع\".", "وكان قد أكد ذلك."],
    ),
    # line breaks are hard boundaries; headlines and datelines without punctuation are segments
    (
        "لافروف لا يخطط للقاء المعارضة\nموسكو\nنفى المتحدث ذلك.",
        ["لافروف لا يخطط للقاء المعارضة", "موسكو", "نفى المتحدث ذلك."],
    ),
    ("العنوان\r\n\r\nالنص الأول. النص الثاني.", ["العنوان", "النص الأول.", "النص الثاني."]),
    # Latin abbreviation followed by an uppercase sentence; sentence-final Arabic weak abbreviation
    ("He works at Acme Inc. The firm grew.", ["He works at Acme Inc.", "The firm grew."]),
    ("اشترينا التفاح والموز إلخ. وقال البائع إن الأسعار ارتفعت.",
     ["اشترينا التفاح والموز إلخ.", "وقال البائع إن الأسعار ارتفعت."]),
    ("ولد في عام 1380 هـ. وقال أخوه إنه كان متفوقا.", ["ولد في عام 1380 هـ.", "وقال أخوه إنه كان متفوقا."]),
    # a quote opened on an earlier line closes after the terminal (line end, or a space and the next sentence)
    ("ولا نريد الفوضى في سوريا.\"", ["ولا نريد الفوضى في سوريا.\""]),
    ('of Syria." Putin had stressed.', ['of Syria."', "Putin had stressed."]),
]

NOT_BOUNDARIES = [
    "وقال الكسندر لوكاشيفيتش، المتحدث الرسمي، للصحفيين؛ إن اللقاء لن يتم.",
    "وقال المتحدث: الوضع صعب.",
    "بلغ معدل النمو 3.5 بالمئة هذا العام.",
    "بلغ معدل النمو ٣٫٥ بالمئة هذا العام.",
    "ارتفع التضخم إلى ٢.٥٪ في الربع الأول.",
    "بدأ الاجتماع في الساعة 10:30 صباحا.",
    "وقع الحادث في 12/08/2014 قرب الحدود.",
    "وقع الحادث في 12.08.2014 قرب الحدود.",
    "وقع الحادث في 26 تشرين الثاني/نوفمبر الماضي.",
    "يعقد المؤتمر في فبراير/ شباط المقبل.",
    "نشر الخبر على موقع rt.com الإخباري.",
    "نشر الخبر على موقع www.aljazeera.net الإخباري.",
    "نشر الخبر على https://arabic.rt.com/news/123.html?id=4 أمس.",
    "للتواصل راسلونا على info@example.com في أي وقت.",
    "أعلنت الولايات المتحدة U.S. عن خطة جديدة.",
    "أعلنت شركة Apple Inc. عن هاتف جديد.",
    "قرأ رواية J. K. Rowling الأخيرة.",
    "التقى Mr. Smith بالوزير أمس.",
    "ألقى د. محمد محاضرة في الجامعة.",
    "ألقى أ. أحمد كلمة الافتتاح.",
    "ناقش أ.د. سامي رسالة الدكتوراه.",
    "افتتح م. خالد المشروع الجديد.",
    "بني المعبد في القرن الثالث ق.م على ضفة النهر.",
    "توفي سنة 1380 هـ. في مكة المكرمة.",
    "يمكن مراسلتنا على ص.ب 1234 في الرياض.",
    "اشترينا التفاح والموز إلخ. من السوق المركزي.",
    "وصل وفد من و.م.أ إلى العاصمة.",
    "أعلنت الولايات المتحدة U.S.\u200f عن خطة جديدة.",
    "وقع الحادث في 12/\u200f08/2014 قرب الحدود.",
    "قال \u200fد. محمد إن الوضع مستقر.",
    "سأل الصحفي: \"هل ستستقيل؟\"، فأجاب الوزير بالنفي.",
]


# The phenomena behind the held-out errors of issue 13, each with its expected split written out.
PHENOMENA = [
    # an ellipsis inside a sentence: the next word carries it on, or the ellipsis is a pause (free-standing,
    # glued, or after a word or two); it ends the sentence before a typical opener
    ("إن ما تقوله وما تفعله... في الواقع، أمر لا يصدق. ولهذا قررنا أن نرحل.",
     ["إن ما تقوله وما تفعله... في الواقع، أمر لا يصدق.", "ولهذا قررنا أن نرحل."]),
    ("كنت أظن أن الأمر سهل ... لكنه لم يكن كذلك أبدا.", ["كنت أظن أن الأمر سهل ... لكنه لم يكن كذلك أبدا."]),
    ("انتظرنا طويلا... ثم وصل القطار أخيرا.", ["انتظرنا طويلا... ثم وصل القطار أخيرا."]),
    ("إنهم صغار وفضوليون جدًا ... إنهم لا يهدفون إلى إيذائك.",
     ["إنهم صغار وفضوليون جدًا ... إنهم لا يهدفون إلى إيذائك."]),
    # a question (or exclamation) carried on by أو / أم
    ("من أين تأتي هذه الطاقة؟ أو ذلك الصوت الذي نسمعه كل ليلة؟",
     ["من أين تأتي هذه الطاقة؟ أو ذلك الصوت الذي نسمعه كل ليلة؟"]),
    ("هل نبقى هنا؟ أم نعود إلى المدينة قبل حلول الظلام؟ قررنا البقاء.",
     ["هل نبقى هنا؟ أم نعود إلى المدينة قبل حلول الظلام؟", "قررنا البقاء."]),
    ("هل ستحضر الاجتماع؟ إن حضورك مهم.", ["هل ستحضر الاجتماع؟", "إن حضورك مهم."]),
    # a dateline with a tatweel dash stays with the first sentence
    ("لندن ــ هل توشك الصين على الانهيار الاقتصادي؟ إن هذا السؤال يطرح منذ سنوات.",
     ["لندن ــ هل توشك الصين على الانهيار الاقتصادي؟", "إن هذا السؤال يطرح منذ سنوات."]),
    ("القاهرة ـ أعلنت الحكومة المصرية اليوم خطة جديدة للطاقة. وقال الوزير إنها ستبدأ العام المقبل.",
     ["القاهرة ـ أعلنت الحكومة المصرية اليوم خطة جديدة للطاقة.", "وقال الوزير إنها ستبدأ العام المقبل."]),
    # transcripts: speaker labels open sentences, even after a sentence without punctuation; pauses
    ("ناتاليا: نعم، وجدت ذلك غريبا كريس: لماذا؟ ناتاليا: لأنني لم أتوقعه أبدا. كريس: فهمت",
     ["ناتاليا: نعم، وجدت ذلك غريبا", "كريس: لماذا؟", "ناتاليا: لأنني لم أتوقعه أبدا.", "كريس: فهمت"]),
    ("ناتاليا: نعم، وجدت ذلك غريبا\nكريس: لماذا", ["ناتاليا: نعم، وجدت ذلك غريبا", "كريس: لماذا"]),
    ("وأنا... لا أعرف كيف أصف ذلك. لكنه كان جميلا.", ["وأنا... لا أعرف كيف أصف ذلك.", "لكنه كان جميلا."]),
    ("فكرت...وفكرت...ثم قررت أن أبدأ من جديد.", ["فكرت...وفكرت...ثم قررت أن أبدأ من جديد."]),
    # a colon after a reporting verb is not a speaker label, however often it recurs
    ("وقال المتحدث: الوضع صعب. وقال المتحدث: سنرى ما يحدث.",
     ["وقال المتحدث: الوضع صعب.", "وقال المتحدث: سنرى ما يحدث."]),
    # quotations: split into their sentences; a bare reporting verb after the quote attributes it, unless it
    # reports speech of its own; quotes and a terminal after the terminal stay with the sentence
    ("وقال الوزير: \"نحن مستعدون للحوار. لن نتراجع عن مطالبنا\". وغادر القاعة بعد ذلك.",
     ["وقال الوزير: \"نحن مستعدون للحوار.", "لن نتراجع عن مطالبنا\".", "وغادر القاعة بعد ذلك."]),
    ("\"سنواصل ملاحقة هؤلاء الأفراد.\" حسبما أفاد المتحدث باسم الشرطة.",
     ["\"سنواصل ملاحقة هؤلاء الأفراد.\" حسبما أفاد المتحدث باسم الشرطة."]),
    ("\"هل يعتقدون أنني أحصل على خصم؟\" تساءلت.", ["\"هل يعتقدون أنني أحصل على خصم؟\" تساءلت."]),
    ("\"لن نتراجع.\" قال الوزير إن الحكومة ستصمد.", ["\"لن نتراجع.\"", "قال الوزير إن الحكومة ستصمد."]),
    ("ومؤلفة مذكرات \"مطاردة هيلاري.\". وقد صدرت العام الماضي.",
     ["ومؤلفة مذكرات \"مطاردة هيلاري.\".", "وقد صدرت العام الماضي."]),
    ("قالت: \"معظم السيدات بدون سلطة.\"\" قال فليك إن مكتبه أصدر بيانًا.",
     ["قالت: \"معظم السيدات بدون سلطة.\"\"", "قال فليك إن مكتبه أصدر بيانًا."]),
    ("أطلق عليه”سنو وايت والأقزام السبعة.\"“ لأنها تأخرت.", ["أطلق عليه”سنو وايت والأقزام السبعة.\"“", "لأنها تأخرت."]),
    # spelled Latin letters and function words before a period; a three-letter acronym may end a sentence
    ("عرضت المتاجر منتجات دي آر. بوبو لأول مرة.", ["عرضت المتاجر منتجات دي آر. بوبو لأول مرة."]),
    ("ناقش الطلاب قضية روي في. واد في المحاضرة.", ["ناقش الطلاب قضية روي في. واد في المحاضرة."]),
    ("نشر الخبر على موقع بي بي سي. الحكومة لم تعلق بعد.", ["نشر الخبر على موقع بي بي سي.", "الحكومة لم تعلق بعد."]),
    ("نقلت الخبر شبكة سي إن إن. ولم تعلق الحكومة.", ["نقلت الخبر شبكة سي إن إن.", "ولم تعلق الحكومة."]),
    ("يُنطق مثل لحرف u. وذكرت اللجنة أن القرار نهائي.", ["يُنطق مثل لحرف u.", "وذكرت اللجنة أن القرار نهائي."]),
    ("أحب مسلسل مستر بين. وقال أخي إنه مضحك.", ["أحب مسلسل مستر بين.", "وقال أخي إنه مضحك."]),
    ("كانت بسبب فيروس التهاب القصبات المعدي (أي بي في). كانت أولى الفيروسات المدروسة.",
     ["كانت بسبب فيروس التهاب القصبات المعدي (أي بي في).", "كانت أولى الفيروسات المدروسة."]),
    # بي is also an everyday word (with me) that ends a sentence; spelled as one initial it may not
    ("قال لي وهو يضحك: اوه، لقد أمسكت بي. ثم عاد إلى مقعده.",
     ["قال لي وهو يضحك: اوه، لقد أمسكت بي.", "ثم عاد إلى مقعده."]),
    ("هذا القرار خاص بي. لن أغيره.", ["هذا القرار خاص بي.", "لن أغيره."]),
    ("التقى الرئيس جون إف. كينيدي بالوفد.", ["التقى الرئيس جون إف. كينيدي بالوفد."]),
    # transcripts: a straight quote set off by a space that closes the open quotation stays with its sentence
    ("كانت أمي تقول: \"لا تصدر صوتا عاليا عندما تأكل من كيس رقائق البطاطا! \" \"لا تتجشأ على المائدة.\"",
     ["كانت أمي تقول: \"لا تصدر صوتا عاليا عندما تأكل من كيس رقائق البطاطا! \"", "\"لا تتجشأ على المائدة.\""]),
    ("ارفع يدك إذا سُئلت يوما \" ماذا تريد أن تصبح عندما تكبر؟ \" والآن أنزلها.",
     ["ارفع يدك إذا سُئلت يوما \" ماذا تريد أن تصبح عندما تكبر؟ \"", "والآن أنزلها."]),
    # ... but not one whose quotation opened in an earlier sentence: it may open the next one
    ("ردت: \"ماذا؟ لا، لم أفعل! \" لم أقل ذلك لأحد.\"", ["ردت: \"ماذا؟", "لا، لم أفعل!", "\" لم أقل ذلك لأحد.\""]),
    ("انتهى الدرس. \"هل فهمتم؟\" سألت المعلمة.", ["انتهى الدرس.", "\"هل فهمتم؟\" سألت المعلمة."]),
    # a footnote mark after the last sentence of a line stays with it; a numbered item opens a sentence
    ("ويمكن الاطلاع على تقارير الأنشطة على الموقع الشبكي لاتفاقية بازل. ()",
     ["ويمكن الاطلاع على تقارير الأنشطة على الموقع الشبكي لاتفاقية بازل. ()"]),
    ("وتبين أنها عقاقير مغشوشة أيضاً. (12)\nوقال التقرير ذلك.",
     ["وتبين أنها عقاقير مغشوشة أيضاً. (12)", "وقال التقرير ذلك."]),
    ("انتهت المناقشة. (1) تقرر اللجنة ما يلي.", ["انتهت المناقشة.", "(1) تقرر اللجنة ما يلي."]),
    # the next word is read without diacritics: وفقًا is the opener وفقا
    ("انطوى على إعادة تركيب ضمن بروتين S. وفقًا لدراسة، اقترح الباحثون أصلا آخر.",
     ["انطوى على إعادة تركيب ضمن بروتين S.", "وفقًا لدراسة، اقترح الباحثون أصلا آخر."]),
]


# Informal and transcribed text: `..` typed as a full stop, and speaker labels of two words.
INFORMAL = [
    # `..` ends a sentence glued to its last word or set off by spaces, as a single period would ...
    ("وصلنا متأخرين .. لم يكن هناك أحد في المحطة .. عدنا إلى البيت.",
     ["وصلنا متأخرين ..", "لم يكن هناك أحد في المحطة ..", "عدنا إلى البيت."]),
    ("وصلنا متأخرين.. لم يكن هناك أحد في المحطة.", ["وصلنا متأخرين..", "لم يكن هناك أحد في المحطة."]),
    # ... but not after a single word (a pause), before a word that carries the sentence on (أنّ and its forms
    # open no sentence), after a word no sentence ends with, or glued on both sides unless an opener follows
    ("لا .. لم أفعل ذلك أبدا.", ["لا .. لم أفعل ذلك أبدا."]),
    ("كان هذا رائعا باستثناء شيء واحد .. أني كنت سأموت.", ["كان هذا رائعا باستثناء شيء واحد .. أني كنت سأموت."]),
    ("كان يوما طويلا جدا .. في الحقيقة كان أطول يوم في حياتي.",
     ["كان يوما طويلا جدا .. في الحقيقة كان أطول يوم في حياتي."]),
    ("ذهبت إلى .. لا أذكر أين.", ["ذهبت إلى .. لا أذكر أين."]),
    ("وصلنا متأخرين..لم يكن هناك أحد في المحطة.", ["وصلنا متأخرين..لم يكن هناك أحد في المحطة."]),
    ("وصلنا متأخرين..وقال السائق إن القطار غادر.", ["وصلنا متأخرين..", "وقال السائق إن القطار غادر."]),
    # three dots set off by spaces stay a pause unless a typical opener follows; glued to the word before they
    # end the sentence, as before
    ("وصلنا متأخرين ... لم يكن هناك أحد في المحطة.", ["وصلنا متأخرين ... لم يكن هناك أحد في المحطة."]),
    ("وصلنا متأخرين ... وقال السائق إن القطار غادر.", ["وصلنا متأخرين ...", "وقال السائق إن القطار غادر."]),
    ("وصلنا إلى المحطة متأخرين… لم يكن هناك أحد.", ["وصلنا إلى المحطة متأخرين…", "لم يكن هناك أحد."]),
    ("وصلنا إلى المحطة متأخرين … لم يكن هناك أحد.", ["وصلنا إلى المحطة متأخرين … لم يكن هناك أحد."]),
    # a speaker label of two words stays whole when it recurs, after a period or without punctuation
    ("سارة: كانت صغيرة جدا، تقريبا مثل القطط. كريم سعيد: حقا؟ بحجم قطة؟ سارة: نعم، الأولى منها. "
     "لهذا لن تعرفها. كريم سعيد: أريد واحدة منها.",
     ["سارة: كانت صغيرة جدا، تقريبا مثل القطط.", "كريم سعيد: حقا؟", "بحجم قطة؟", "سارة: نعم، الأولى منها.",
      "لهذا لن تعرفها.", "كريم سعيد: أريد واحدة منها."]),
    ("كريم سعيد: حقا؟ سارة: نعم لهذا لن تعرفها كريم سعيد: أريد واحدة منها. سارة: حسنا",
     ["كريم سعيد: حقا؟", "سارة: نعم لهذا لن تعرفها", "كريم سعيد: أريد واحدة منها.", "سارة: حسنا"]),
    # ... also when its last word is another speaker's name
    ("سعيد: أهلا بكم جميعا. كريم سعيد: شكرا لك. سعيد: لنبدأ الحلقة. كريم سعيد: حسنا",
     ["سعيد: أهلا بكم جميعا.", "كريم سعيد: شكرا لك.", "سعيد: لنبدأ الحلقة.", "كريم سعيد: حسنا"]),
]


@pytest.mark.parametrize(("text", "expected"), INFORMAL)
def test_informal_and_transcribed_text(text: str, expected: list[str]) -> None:
    assert [s.text for s in split_sentences(text)] == expected


@pytest.mark.parametrize(("text", "expected"), PHENOMENA)
def test_phenomena(text: str, expected: list[str]) -> None:
    assert [s.text for s in split_sentences(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected", "between"),
    [
        # by design, marks at a sentence's edge (after its terminal, before the next sentence) lie between the
        # two sentences, where the offsets keep them; a mark inside a sentence stays inside it
        ("أعلن الوزير استقالته.\u200f \u200fوقال إنه سيعود إلى الجامعة.",
         ["أعلن الوزير استقالته.", "وقال إنه سيعود إلى الجامعة."], ["\u200f \u200f"]),
        ("انتهى الاجتماع.\u061c وبدأ المؤتمر الصحفي.", ["انتهى الاجتماع.", "وبدأ المؤتمر الصحفي."], ["\u061c "]),
        ("وصل الوفد إلى المطار.\u200d \u200dوكان في استقباله السفير.",
         ["وصل الوفد إلى المطار.", "وكان في استقباله السفير."], ["\u200d \u200d"]),
        ("هل وصلت؟\u200e\u200fنعم وصلت.", ["هل وصلت؟", "نعم وصلت."], ["\u200e\u200f"]),
        ("قال \u200fد. محمد إن الوضع مستقر.\u200f\n\u200dوانتهى اللقاء.",
         ["قال \u200fد. محمد إن الوضع مستقر.", "وانتهى اللقاء."], ["\u200f\n\u200d"]),
        ("قال: \"لن نتراجع.\u200f\" ثم غادر.", ["قال: \"لن نتراجع.\u200f\"", "ثم غادر."], [" "]),
    ],
)
def test_invisible_marks_next_to_a_boundary_are_kept(text: str, expected: list[str], between: list[str]) -> None:
    segments = split_sentences(text)
    assert [s.text for s in segments] == expected
    assert [text[a.end : b.start] for a, b in zip(segments, segments[1:])] == between
    assert "".join(s.text + gap for s, gap in zip(segments, [*between, ""])) == text


@pytest.mark.parametrize(("text", "expected"), BOUNDARIES)
def test_boundaries(text: str, expected: list[str]) -> None:
    assert [s.text for s in split_sentences(text)] == expected


@pytest.mark.parametrize("text", NOT_BOUNDARIES)
def test_not_boundaries(text: str) -> None:
    assert [s.text for s in split_sentences(text)] == [text]


def test_offsets_point_into_the_original() -> None:
    text = "  ذهب أحمد.   عاد سامي!\n\nانتهى  "
    segments = split_sentences(text)
    assert [(s.start, s.end) for s in segments] == [(2, 11), (14, 23), (25, 30)]
    assert all(text[s.start : s.end] == s.text for s in segments)


GLUED = "وكانت له لقاءات مع رئيس المجلس جورج صبراوقالت وزارة الخارجية إن الحوار مستمر."


def test_glued_sentence_is_flagged_but_not_split_by_default() -> None:
    [segment] = split_sentences(GLUED)
    assert segment.flags == ("glued_suspect",)


def test_glued_sentence_repair_splits_and_flags_both_sides() -> None:
    segments = split_sentences(GLUED, repair_glued=True)
    assert [s.text for s in segments] == [
        "وكانت له لقاءات مع رئيس المجلس جورج صبرا",
        "وقالت وزارة الخارجية إن الحوار مستمر.",
    ]
    assert [s.flags for s in segments] == [("glued_split",), ("glued_split",)]


@pytest.mark.parametrize(
    "text",
    [
        "وقال الوزير إن الاتفاق صامد.",  # reporting verb after a space
        "وزاد الأمر تعقيدا ما قاله المتحدث.",
        "ذهب الطلاب إلى المدرسة وقالوا إنهم سعداء.",  # وقالوا is not in the list of openers
        "بحثوا أمورا كثيرة وأكدوا استمرار التعاون.",
    ],
)
def test_glued_repair_leaves_ordinary_text_alone(text: str) -> None:
    [segment] = split_sentences(text, repair_glued=True)
    assert segment.flags == ()


@pytest.fixture
def seed_gold(shared_seed: Path) -> tuple[str, list[str]]:
    text = (shared_seed / "article-000.ar.txt").read_text(encoding="utf-8")
    gold = (shared_seed / "article-000.sentences.ar.txt").read_text(encoding="utf-8").splitlines()
    return text, gold


def test_seed_article_punctuated_boundaries(seed_gold: tuple[str, list[str]]) -> None:
    text, gold = seed_gold
    got = [s.text for s in split_sentences(text)]
    # Without the repair the two sentences glued at جورج صبراوقالت stay one segment; all 11 others match.
    assert got == gold[:4] + [gold[4] + gold[5]] + gold[6:]


def test_seed_article_with_glued_repair_matches_gold(seed_gold: tuple[str, list[str]]) -> None:
    text, gold = seed_gold
    assert [s.text for s in split_sentences(text, repair_glued=True)] == gold


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_lossless_on_any_unicode(text: str) -> None:
    check_lossless(text, split_sentences(text, repair_glued=True))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ابت وق.؟!،؛:\"«»()\n 0123٣٫/\u200fصب"))))
def test_lossless_on_arabic_like_text(text: str) -> None:
    check_lossless(text, split_sentences(text, repair_glued=True))


def blank(gap: str) -> bool:
    return all(c.isspace() or c in INVISIBLE for c in gap)


def check_lossless(text: str, segments: list[Segment]) -> None:
    """Segments are in order, do not overlap, and only whitespace or invisible marks lie between them."""
    pos = 0
    for s in segments:
        assert text[s.start : s.end] == s.text
        assert s.start >= pos and s.end > s.start
        assert blank(text[pos : s.start])
        pos = s.end
    assert blank(text[pos:])


@pytest.mark.parametrize("text", ["", "   ", "\n\n", " \u200f "])
def test_empty_and_blank_give_no_segments(text: str) -> None:
    assert split_sentences(text) == []


# --- sub-splitting ----------------------------------------------------------------------------------

def words(text: str) -> int:
    return len(text.split())


LONG = ("وقالت الوزارة إن الطرفين بحثا سبل حل الأزمة في أسرع وقت؛ "
        "وأكدت أن الطرف الروسي يواصل العمل مع كافة الفصائل، "
        "وأن الحوار هو الطريق الوحيد للحل، منوهة بأهمية قرارات مجلس الأمن الدولي.")


@pytest.mark.parametrize(
    ("budget", "expected"),
    [
        (100, [LONG]),
        (
            12,
            [
                "وقالت الوزارة إن الطرفين بحثا سبل حل الأزمة في أسرع وقت؛",
                "وأكدت أن الطرف الروسي يواصل العمل مع كافة الفصائل،",
                "وأن الحوار هو الطريق الوحيد للحل، منوهة بأهمية قرارات مجلس الأمن الدولي.",
            ],
        ),
    ],
)
def test_sub_split_prefers_semicolon_then_comma_before_wa(budget: int, expected: list[str]) -> None:
    spans = sub_split(LONG, budget, words)
    assert [LONG[a:b] for a, b in spans] == expected


def test_sub_split_never_cuts_inside_quotes_when_it_can_avoid_it() -> None:
    text = "قال الوزير في مؤتمر صحفي عقده اليوم، \"لن نقبل، ولن نتراجع، ولن نساوم\" في ختام اللقاء الطويل."
    spans = sub_split(text, 10, words)
    pieces = [text[a:b] for a, b in spans]
    assert pieces[0] == "قال الوزير في مؤتمر صحفي عقده اليوم،"
    assert all(p.count('"') in (0, 2) for p in pieces)


def test_sub_split_of_a_line_without_spaces_is_lossless() -> None:
    text = "ب" * 1000
    spans = sub_split(text, 64, len)
    assert "".join(text[a:b] for a, b in spans) == text
    assert all(b - a <= 64 for a, b in spans)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ابت وق،؛,\"«»()")), min_size=1), st.integers(2, 30))
def test_sub_split_covers_the_text(text: str, budget: int) -> None:
    spans = sub_split(text, budget, len)
    assert all(blank(text[b:a]) for (_, b), (a, _) in zip(spans, spans[1:]))
    joined = "".join(text[a:b] for a, b in spans)
    assert joined.replace(" ", "") == text.replace(" ", "")
    assert all(b - a <= budget for a, b in spans)
    assert all(b > a for a, b in spans)


def test_segment_module_does_not_import_torch() -> None:
    code = ("import sys, mt, mt.text.segment, mt.cli; mt.text.segment.split_sentences('نص.'); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
