"""Request classification: published phrases first, then the shipped model; a person decides
below the threshold; erasure and withdrawal are never a confident inquiry."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest

from lawful.config.loader import load_policy
from lawful.intake.classify import LABELS, RequestClassifier
from lawful.intake.classify.classifier import focus
from lawful.intake.classify.text import (
    JUST_ASKING,
    MORE_THAN_OPT_OUT,
    NOT_A_COPY,
    REFUSED_DELETION,
    is_translit,
    prepare,
    to_cyrillic,
)
from lawful.intake.classify.train import train, training_examples


@pytest.fixture(scope="module")
def classifier() -> RequestClassifier:
    return RequestClassifier(
        {
            "withdrawal": ["Отзыв согласия на обработку персональных данных"],
            "objection": ["Refusal to receive notifications about new products"],
        }
    )


class Leaning:
    """A model that ranks ``order`` first, in that order, whatever the text: the tests of the
    classifier's own rules (the cues) must not depend on where the shipped model leans."""

    def __init__(self, *order: str) -> None:
        self.labels = LABELS
        weights = {label: 1.0 for label in LABELS}
        for rank, label in enumerate(order):
            weights[label] = 100.0 / (rank + 1)
        total = sum(weights.values())
        self._scores = {label: weight / total for label, weight in weights.items()}

    def scores(self, text: str) -> dict[str, float]:
        return dict(self._scores)


def leaning(*order: str) -> RequestClassifier:
    return RequestClassifier(model=Leaning(*order))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("удалите мои данные", "erasure"),
        ("Пожалуйста, сотрите всю информацию обо мне из вашей базы", "erasure"),
        ("please stop emailing me", "objection"),
        ("Отпишите меня от рассылки", "objection"),
        ("Отзываю согласие на обработку персональных данных", "withdrawal"),
        ("I withdraw my consent", "withdrawal"),
        ("Какие мои данные вы храните?", "access"),
        ("My email changed, please update it in your records", "rectification"),
        ("Уберите моё фото с вашего сайта", "distribution_stop"),
        ("Когда приедет курьер с заказом?", "inquiry"),
        ("Буду жаловаться в Роскомнадзор на утечку моих данных", "complaint"),
        # withdrawal and access keep their label when their cue is there (fifth round)
        ("I'm withdarwing my consent, effective today.", "withdrawal"),
        ("Tôi không còn đồng ý cho xử lý dữ liệu nữa", "withdrawal"),
        ("Какие сведения хранятся о моей бабушке? Она ваша клиентка, доверенность есть.", "access"),
        ("What data do you keep about him? He is my son, he is 12.", "access"),
        # an imperative names whose data it is without a pronoun
        ("Please provide details of all data relating to Maria Lopez held by you.", "access"),
    ],
)
def test_it_recognises_free_wording(classifier: RequestClassifier, text: str, label: str) -> None:
    result = classifier.classify(text)
    assert (result.label, result.source) == (label, "model")


def test_a_published_phrase_wins_at_top_confidence(classifier: RequestClassifier) -> None:
    # The body alone would read as an inquiry; the subject is the phrase the policy publishes.
    result = classifier.classify(
        "Здравствуйте, когда будет доставка?",
        subject="ОТЗЫВ согласия на обработку персональных данных!",
    )
    assert (result.label, result.confidence, result.source) == ("withdrawal", 1.0, "phrase")
    assert not result.needs_person


def test_a_phrase_must_match_whole_words(classifier: RequestClassifier) -> None:
    result = classifier.classify("Refusal to receive notifications about new productsXYZ")
    assert result.source == "model"


@pytest.mark.parametrize(
    "text",
    [
        "как удалить аккаунт?",
        "Здравствуйте! Когда доставка? И удалите, пожалуйста, мой номер.",
        "Hello, when will my order arrive? Also please delete my data.",
        "Подскажите, а как отозвать согласие?",
        "withdraw",
    ],
)
def test_erasure_or_withdrawal_is_never_a_confident_inquiry(
    classifier: RequestClassifier, text: str
) -> None:
    result = classifier.classify(text)
    assert result.label != "inquiry" or result.needs_person


def test_below_the_threshold_a_person_decides() -> None:
    strict = RequestClassifier(threshold=0.999)
    result = strict.classify("данные")
    assert result.needs_person and result.confidence < 0.999
    assert set(result.scores) == set(LABELS)
    assert abs(sum(result.scores.values()) - 1) < 1e-9


def test_headers_and_signature_do_not_count() -> None:
    mail = (
        "-------- Forwarded message --------\nFrom: Someone <a@b.c>\nSubject: order\n\n"
        "Please delete my data.\n\nBest regards,\nJohn Smith\nSales manager, orders and offers"
    )
    assert focus(mail).strip() == "Please delete my data."


def test_the_classifier_reads_the_policy_phrases() -> None:
    template = files("lawful.config").joinpath("templates/ru-design-studio.yaml")
    policy = load_policy(Path(str(template))).policy
    result = RequestClassifier.for_policy(policy).classify(
        "Добрый день.", subject="Уничтожение персональных данных"
    )
    assert (result.label, result.source) == ("erasure", "phrase")


def test_the_shipped_model_is_trained_from_the_shipped_examples() -> None:
    shipped = files("lawful.intake.classify").joinpath("model.json").read_text("utf-8")
    assert shipped == train().to_json() + "\n", "run python -m lawful.intake.classify.train"


def test_every_label_has_russian_and_english_examples() -> None:
    examples = training_examples()
    assert set(examples) == set(LABELS)
    for texts in examples.values():
        assert any(any("а" <= ch <= "я" for ch in t.lower()) for t in texts)
        assert any(t.isascii() for t in texts)


# --- the kinds of wording DEV and DEV2 showed the model missing (sentences written for these
# tests, in neither the training examples nor the evaluation sets) ---


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("udalite", "удалите"),
        ("dannye", "данные"),
        ("pozhalujsta", "пожалуйста"),
        ("moy", "мой"),
        ("hranyatsya", "хранятся"),
        ("otzyvaju", "отзываю"),
        ("shchedryj", "щедрый"),
    ],
)
def test_a_translit_word_is_read_in_cyrillic(latin: str, cyrillic: str) -> None:
    assert to_cyrillic(latin) == cyrillic


def test_only_runs_of_translit_russian_are_converted() -> None:
    assert prepare("Привет! udalite moi dannye, spasibo. Тел. ниже") == (
        "привет! удалите мои данные, спасибо. тел. ниже"
    )
    # English, even with one word that is also a Russian marker, stays as it is.
    assert prepare("Hi, can you delete my account? Vy is my initials") == (
        "hi, can you delete my account? vy is my initials"
    )
    assert not is_translit("please remove me from your list")


def test_both_vietnamese_tone_placements_read_alike() -> None:
    assert prepare("Xin xoá tài khoản, huỷ đăng ký") == prepare("Xin xóa tài khoản, hủy đăng ký")


@pytest.mark.parametrize(
    "text",
    [
        "Пожалуйста, не удаляйте мою учётную запись",
        "Анкету удалять не нужно",
        "Please don't erase my profile",
        "We do not want you to delete the history",
    ],
)
def test_a_refused_deletion_is_not_a_deletion(text: str) -> None:
    prepared = prepare(text)
    assert REFUSED_DELETION in prepared
    assert not any(stem in prepared for stem in ("удал", "erase", "delete"))


def test_a_deletion_that_did_not_happen_is_still_one() -> None:
    # A grievance about a deletion asked for and not done keeps its verb.
    assert REFUSED_DELETION not in prepare("Вы так и не удалили мои данные")
    assert REFUSED_DELETION not in prepare("You have not deleted my data")


@pytest.mark.parametrize(
    "text",
    ["Отписка от писем мне не нужна", "I don't want to just unsubscribe", "не только рассылку"],
)
def test_more_than_an_opt_out_is_marked(text: str) -> None:
    assert MORE_THAN_OPT_OUT in prepare(text)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        # translit inside a Cyrillic letter
        (
            "Добрый день.\nsotrite pozhalujsta moju anketu iz vashej bazy\nС уважением, Олег",
            "erasure",
        ),
        ("otpishite menja ot vashih reklamnyh pisem", "objection"),
        # a refused deletion next to the real request
        ("Профиль не удаляйте, пожалуйста, только исправьте отчество на Ильич", "rectification"),
        (
            "Please don't delete anything yet, just stop processing my data while I appeal",
            "restriction",
        ),
        # more than an opt-out
        ("Отписка от рассылки мне не нужна, сотрите профиль и историю заказов", "erasure"),
        ("I don't want to just unsubscribe, I want my whole account erased", "erasure"),
        # a polite, indirect request and one for someone else
        ("Would it be possible for you to remove my records from your database?", "erasure"),
        ("Пишу за дедушку: он просит отозвать своё согласие на обработку данных", "withdrawal"),
        # hard negatives: deleting and consent mentioned, nothing asked of the data
        ("Как стереть переписку в чате поддержки у себя в приложении?", "inquiry"),
        ("Where do I sign the consent form for my son's school trip?", "inquiry"),
    ],
)
def test_it_reads_the_kinds_it_used_to_miss(
    classifier: RequestClassifier, text: str, label: str
) -> None:
    assert classifier.classify(text).label == label


def test_a_quoted_reply_without_marks_does_not_count() -> None:
    mail = (
        "Please delete my account.\n\n"
        "On Mon, 3 Nov 2025 at 10:12, Shop Support <support@shop.example> wrote:\n"
        "Would you like to hear about our new offers and discounts?"
    )
    assert focus(mail).strip() == "Please delete my account."
    reply = "Удалите меня.\n-----Original Message-----\nFrom: shop\nПодпишитесь на рассылку!"
    assert focus(reply).strip() == "Удалите меня."


@pytest.mark.parametrize(
    "sign_off", ["Cheers,", "Yours sincerely,", "Всего доброго!", "Sent from my iPhone"]
)
def test_more_sign_offs_end_the_message(sign_off: str) -> None:
    mail = f"Please delete my data.\n\n{sign_off}\nSales manager, offers and newsletters"
    assert focus(mail).strip() == "Please delete my data."


def test_the_grave_words_include_the_new_stems(classifier: RequestClassifier) -> None:
    for text in ("сотрите", "please wipe it", "xoá", "no longer consent"):
        assert RequestClassifier._maybe_grave(text, {})


# --- a label that needs a word of its own (fifth round; sentences written for these tests) ---


@pytest.mark.parametrize(
    ("text", "leaning_to"),
    [
        # consent given: every word of a withdrawal but the taking back
        (
            "I have agreed to the processing of my data, when will my card be ready?",
            ("withdrawal", "inquiry"),
        ),
        (
            "Согласен на обработку персональных данных. Когда перезвонит менеджер?",
            ("withdrawal", "inquiry"),
        ),
        # a question about a policy, with no owner of the data
        ("Какие персональные данные хранятся в карточке клиента?", ("access", "inquiry")),
        # contact details given, nothing said to be wrong
        (
            "Мой номер телефона для связи указан ниже, перезвоните по поводу тарифа.",
            ("rectification", "inquiry"),
        ),
        # no file, format or other provider
        ("Можно ли передать мои баллы сестре?", ("portability", "inquiry")),
        # no word for deleting, closing or leaving the database (sixth round)
        (
            "I registered under my old surname last month, is my order ready?",
            ("erasure", "inquiry"),
        ),
        ("Remind me which plan I signed up for last year", ("erasure", "inquiry")),
        # an owner and a question, but no data, records, copy or what is kept (sixth round)
        ("Что у меня с бонусами? Сколько их?", ("access", "inquiry")),
        ("А у меня скидка действует в вашем магазине?", ("access", "inquiry")),
        # access, then erasure, neither with its word: the next label *with* its cue (sixth round)
        (
            "Remind me under which name the table was booked last time",
            ("access", "erasure", "inquiry"),
        ),
        ("Под каким логином я у вас зарегистрирован?", ("access", "erasure", "inquiry")),
    ],
)
def test_a_label_without_its_cue_goes_to_a_person(text: str, leaning_to: tuple[str, ...]) -> None:
    # The model leans to labels whose cue the text lacks; the next label with its cue (or
    # none) is taken and a person checks it, which also keeps a demoted withdrawal or erasure
    # from becoming a confident inquiry.
    result = leaning(*leaning_to).classify(text)
    assert result.label == "inquiry"
    assert result.needs_person


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("Я не хочу, чтобы мой профиль удаляли", REFUSED_DELETION),
        ("I don't want my photos to be deleted", REFUSED_DELETION),
        ("I'm not asking you to erase anything", REFUSED_DELETION),
        ("Пока ничего не прошу, просто интересно", JUST_ASKING),
        ("Что станет с бонусами, если я удалю приложение?", JUST_ASKING),
        ("Am I entitled to a copy of my file?", JUST_ASKING),
        ("Копия мне не нужна, назовите получателей", NOT_A_COPY),
        ("I'm not asking for a copy, only who got it", NOT_A_COPY),
    ],
)
def test_a_request_disowned_or_put_off_becomes_a_token(text: str, token: str) -> None:
    prepared = prepare(text)
    assert token in prepared
    assert not any(word in prepared for word in ("удал", "erase", "прошу", "entitled", "копи"))


def test_a_deletion_asked_for_after_a_refusal_keeps_its_verb() -> None:
    # «не прошу удалять» is refused; a plain «прошу удалить» is a request.
    assert prepare("Прошу удалить мои данные") == "прошу удалить мои данные"
    assert JUST_ASKING not in prepare("Я не прошу удалять, а прошу исправить")


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Если я закрою профиль, что станет с моими отзывами? Я ещё не решила.", "inquiry"),
        (
            "Do I have the right to get a copy of my loan file? I'm not asking for anything yet.",
            "inquiry",
        ),
        (
            "Какие права у меня есть, если магазин потерял мои данные? Пока ничего не прошу.",
            "inquiry",
        ),
        (
            "Копия мне не нужна. Назовите, пожалуйста, всех, кому вы передавали мой телефон.",
            "transfer_info",
        ),
    ],
)
def test_a_question_before_deciding_is_an_inquiry(
    classifier: RequestClassifier, text: str, label: str
) -> None:
    assert classifier.classify(text).label == label


# --- sixth round (sentences written for these tests) ---


@pytest.mark.parametrize(
    "text",
    [
        "Thông tin của tôi có được gửi cho đối tác không?",
        "Dữ liệu của tôi được gửi đi đâu?",
    ],
)
def test_vietnamese_partners_and_sending_are_a_transfer_cue(
    classifier: RequestClassifier, text: str
) -> None:
    # «đối tác» (partner) and «gửi» (send) ask who gets the data, as "partner" and "sent" do.
    assert classifier.classify(text).label == "transfer_info"


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("pls delte my profile", "erasure"),
        ("Закройте мой аккаунт насовсем", "erasure"),
        ("Не хочу больше быть в вашей базе", "erasure"),
        ("Какие сведения обо мне у вас есть?", "access"),
        ("what do u keep about me", "access"),
        ("че у вас на меня есть?", "access"),
    ],
)
def test_a_request_with_its_word_keeps_its_label(
    classifier: RequestClassifier, text: str, label: str
) -> None:
    assert classifier.classify(text).label == label


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Please erase my profile", "erasure"),
        ("Покажите, какие сведения обо мне вы храните?", "access"),
        ("I withdraw my consent", "withdrawal"),
    ],
)
def test_a_label_with_its_cue_stays(text: str, label: str) -> None:
    result = leaning(label, "inquiry").classify(text)
    assert (result.label, result.needs_person) == (label, False)


@pytest.mark.parametrize(
    "text",
    [
        "Ứng dụng chạy chậm quá",
        "Vì sao ứng dụng không gửi mã OTP?",
        "Có thể dùng ứng dụng ở nước ngoài không?",
    ],
)
def test_a_vietnamese_question_about_the_app_is_an_inquiry(
    classifier: RequestClassifier, text: str
) -> None:
    # «ứng dụng» (the app) came only with exports, deletions and opt-outs in the examples.
    assert classifier.classify(text).label == "inquiry"
