"""The help center in the agent workspace: the article list, the editor (with a live
preview, revision history, feedback and views), categories, content gaps, and the article
picker of the conversation composer.

Who may do what:

- **Read**: every signed-in agent, for the stores they may see (``visible_store_ids``). A
  restricted agent sees only its stores' articles, everywhere: list, article pages,
  previews of them, content gaps and the composer's picker.
- **Write** (create, edit, publish, unpublish and delete articles; manage categories):
  administrators, supervisors and agents, in any store they may see. Restricted agents
  (outside staff limited to some stores) only read: they do not change a store's help
  center.
- **Content gaps** (what readers searched for and did not find): administrators and
  supervisors.

As everywhere in the workspace, an article or store the agent may not see is 404 (ids do
not leak), and a page the agent may see but whose action their role does not allow is 403.
Every change goes through ``storedesk.helpcenter.services``.
"""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from storedesk.accounts.enums import Role
from storedesk.accounts.selectors import scope_to_stores, visible_store_ids
from storedesk.conversations.selectors import access_conversation
from storedesk.core.errors import DomainError, NotFound, ValidationError
from storedesk.core.pagination import SortKey, paginate
from storedesk.helpcenter import questions, services
from storedesk.helpcenter.markdown import MAX_MARKDOWN_CHARS, render_html
from storedesk.helpcenter.models import (
    Article,
    ArticleFeedback,
    ArticleQuestion,
    ArticleTranslation,
    ArticleViewDay,
    Category,
    TranslationStatus,
    Visibility,
)
from storedesk.helpcenter.search import search_articles
from storedesk.helpcenter.selectors import content_gaps, public_translations
from storedesk.stores.selectors import access_store, store_list

PAGE_SIZE = 50
SEARCH_LIMIT = 50
PICKER_LIMIT = 10
GAP_PERIODS = (7, 30, 90)
STATS_DAYS = 30

STATUS_FILTERS = {
    "published": _("Published"),
    "draft": _("Draft"),
    "changes": _("Unpublished changes"),
}
ARTICLE_SORT = (SortKey("last_change", True, kind="datetime"), SortKey("id", True))


# --- Who may do what ------------------------------------------------------------------------


def can_edit_help_center(user) -> bool:
    """Every role but restricted agents writes help-center content (of the stores it sees)."""
    return bool(user.is_authenticated and user.is_active and not user.is_restricted)


def can_see_content_gaps(user) -> bool:
    return bool(
        user.is_authenticated and user.is_active and (user.is_admin or user.role == Role.SUPERVISOR)
    )


def editor_required(view):
    """Signed in and allowed to write the help center; restricted agents get 403."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not can_edit_help_center(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def gaps_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not can_see_content_gaps(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


# --- Helpers --------------------------------------------------------------------------------


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _store(request, store_id) -> object:
    """A store the agent may see; 404 otherwise."""
    store_id = _int(store_id)
    if store_id is None:
        raise Http404
    try:
        return access_store(actor=request.user, id=store_id)
    except NotFound:
        raise Http404 from None


def _article(request, article_id: int) -> Article:
    article = (
        scope_to_stores(Article.objects.select_related("store", "category"), request.user)
        .filter(pk=article_id)
        .first()
    )
    if article is None:
        raise Http404
    return article


def _ui_locale() -> str:
    return (translation.get_language() or "en").lower()


def _working_title(t: ArticleTranslation) -> str:
    """What editors work on: the unpublished edit when there is one."""
    return (t.draft_title if t.has_draft else t.title) or t.title or t.draft_title


def _working_body(t: ArticleTranslation) -> str:
    return t.draft_body if t.has_draft else t.body


def _state(t: ArticleTranslation) -> str:
    if t.is_published:
        return "changes" if t.has_draft else "published"
    return "draft"


def _shown_translation(translations, store) -> ArticleTranslation | None:
    """The translation in the agent's language, else the store's default one, else any."""
    by_locale = {t.locale: t for t in translations}
    return (
        by_locale.get(_ui_locale())
        or by_locale.get(store.default_locale)
        or next(iter(by_locale.values()), None)
    )


def _category_name(category, store) -> str:
    return category.name_in(_ui_locale(), store.default_locale) if category else ""


def public_path(store, translation: ArticleTranslation) -> str:
    """Where readers open a translation on the public help center
    (``/help/<store>/<locale>/a/<slug>/``)."""
    return reverse(
        "helpcenter:article",
        kwargs={"store": store.slug, "locale": translation.locale, "slug": translation.slug},
    )


def _apply_error(form, exc: DomainError) -> None:
    """Put a service's error next to the field it names (``key`` is the slug's)."""
    name = {"key": "slug", "article": None}.get(exc.field, exc.field)
    if name in form.fields:
        form.add_error(name, exc.message)
    else:
        form.add_error(None, exc.message)


def _helpful_ratio(yes: int, no: int) -> int | None:
    return round(100 * yes / (yes + no)) if yes + no else None


# --- Articles list --------------------------------------------------------------------------


def _filters(request, stores) -> dict:
    params = request.GET
    by_id = {store.pk: store for store in stores}
    store = by_id.get(_int(params.get("store")))
    locales = sorted({code for s in ([store] if store else stores) for code in s.locales})
    chosen = {
        "store": store,
        "category": _int(params.get("category")),
        "locale": params.get("locale", "") if params.get("locale", "") in locales else "",
        "status": params.get("status", "") if params.get("status") in STATUS_FILTERS else "",
        "visibility": params.get("visibility", "")
        if params.get("visibility") in Visibility.values
        else "",
        "q": " ".join(params.get("q", "").split())[:200],
    }
    return {"filters": chosen, "locales": locales}


def _filtered_articles(request, chosen):
    articles = scope_to_stores(Article.objects.select_related("store", "category"), request.user)
    if chosen["store"]:
        articles = articles.filter(store=chosen["store"])
    if chosen["category"]:
        articles = articles.filter(category_id=chosen["category"])
    if chosen["visibility"]:
        articles = articles.filter(visibility=chosen["visibility"])
    translation_filter = {}
    if chosen["locale"]:
        translation_filter["locale"] = chosen["locale"]
    if chosen["status"] == "published":
        translation_filter["status"] = TranslationStatus.PUBLISHED
    elif chosen["status"] == "draft":
        translation_filter["status"] = TranslationStatus.DRAFT
    elif chosen["status"] == "changes":
        translation_filter.update(status=TranslationStatus.PUBLISHED, has_draft=True)
    if translation_filter:
        articles = articles.filter(
            Exists(ArticleTranslation.objects.filter(article=OuterRef("pk"), **translation_filter))
        )
    return articles


def _search(articles, stores, chosen) -> list[Article]:
    """Articles matching the search box: those whose title (published or draft) contains
    the query as typed, then the search engine's ranking over the published text of every
    store searched."""
    searched = [chosen["store"]] if chosen["store"] else stores
    # Stores without any article (of these filters) are not searched.
    with_articles = set(articles.values_list("store_id", flat=True).order_by().distinct())
    ranked: list[tuple[float, int]] = []
    for store in searched:
        if store.pk not in with_articles:
            continue
        hits = search_articles(
            store,
            chosen["q"],
            locale=chosen["locale"] or None,
            include_internal=True,
            limit=SEARCH_LIMIT,
        )
        ranked += [(hit.score, hit.article.pk) for hit in hits]
    ranked.sort(key=lambda item: -item[0])
    titled = list(
        articles.filter(
            Exists(
                ArticleTranslation.objects.filter(article=OuterRef("pk")).filter(
                    Q(title__icontains=chosen["q"]) | Q(draft_title__icontains=chosen["q"])
                )
            )
        ).values_list("pk", flat=True)[:SEARCH_LIMIT]
    )
    ids = list(dict.fromkeys([*titled, *(article_id for _score, article_id in ranked)]))
    found = articles.filter(pk__in=ids[:SEARCH_LIMIT]).prefetch_related("translations")
    by_id = {article.pk: article for article in found}
    return [by_id[article_id] for article_id in ids if article_id in by_id]


def _rows(articles) -> list[dict]:
    rows = []
    for article in articles:
        translations = list(article.translations.all())
        shown = _shown_translation(translations, article.store)
        yes, no = article.helpful_count, article.unhelpful_count
        rows.append(
            {
                "article": article,
                "shown": shown,
                "title": _working_title(shown) if shown else article.key,
                "translations": [(t.locale, _state(t)) for t in translations],
                "category": _category_name(article.category, article.store),
                "yes": yes,
                "no": no,
                "ratio": _helpful_ratio(yes, no),
                "updated": max([article.updated_at, *(t.updated_at for t in translations)]),
            }
        )
    return rows


@login_required
@require_GET
def article_list(request):
    stores = list(store_list(actor=request.user))
    filters = _filters(request, stores)
    chosen = filters["filters"]
    articles = _filtered_articles(request, chosen)
    next_cursor = None
    if chosen["q"]:
        page = _search(articles, stores, chosen)
    else:
        last_translation = (
            ArticleTranslation.objects.filter(article=OuterRef("pk"))
            .order_by("-updated_at")
            .values("updated_at")[:1]
        )
        articles = articles.annotate(
            last_change=Greatest("updated_at", Coalesce(Subquery(last_translation), "updated_at"))
        ).prefetch_related("translations")
        try:
            page, next_cursor = paginate(
                articles, ARTICLE_SORT, cursor=request.GET.get("cursor"), limit=PAGE_SIZE
            )
        except DomainError:  # a stale or edited cursor: start from the top
            page, next_cursor = paginate(articles, ARTICLE_SORT, cursor=None, limit=PAGE_SIZE)
    categories = scope_to_stores(Category.objects.select_related("store"), request.user)
    if chosen["store"]:
        categories = categories.filter(store=chosen["store"])
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        **_tabs(request, "articles"),
        "rows": _rows(page),
        "next_cursor": next_cursor,
        "base_query": query.urlencode(),
        "stores": stores,
        "filters": chosen,
        "locales": filters["locales"],
        "statuses": list(STATUS_FILTERS.items()),
        "visibilities": Visibility.choices,
        "categories": [(c.pk, _category_label(c, len(stores) > 1)) for c in categories],
    }
    if request.htmx and request.htmx.target == "helpcenter-main":
        return render(request, "web/helpcenter/_list.html", context)
    return render(request, "web/helpcenter/list.html", context)


def _category_label(category, with_store: bool) -> str:
    name = _category_name(category, category.store)
    return f"{category.store.name} · {name}" if with_store else name


def _tabs(request, section: str) -> dict:
    return {
        "nav": "helpcenter",
        "section": section,
        "can_edit": can_edit_help_center(request.user),
        "can_see_gaps": can_see_content_gaps(request.user),
    }


# --- Editor ---------------------------------------------------------------------------------


class ArticleForm(forms.Form):
    """The fields of one translation and of its article. Titles, slugs and sizes are checked
    by ``article_save`` (its errors come back onto these fields)."""

    title = forms.CharField(label=_("Title"), required=False, strip=True)
    body = forms.CharField(
        label=_("Article (Markdown)"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 18, "class": "mono"}),
    )
    slug = forms.CharField(
        label=_("Address (slug)"),
        required=False,
        help_text=_("Letters a-z, digits and hyphens; made from the title when empty."),
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Visibility.choices)

    def __init__(self, *args, store, article=None, locale_choice=False, **kwargs):
        super().__init__(*args, **kwargs)
        # The live preview: the typed Markdown, rendered and sanitised by the server.
        self.fields["body"].widget.attrs.update(
            {
                "hx-post": reverse("helpcenter-preview"),
                "hx-trigger": "input changed delay:400ms",
                "hx-target": "#article-preview",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
                "aria-controls": "article-preview",
            }
        )
        self.store = store
        self.categories = {c.pk: c for c in Category.objects.filter(store=store)}
        choices = [(str(pk), _category_name(c, store)) for pk, c in self.categories.items()]
        # article_save keeps the category when given none: "no category" only while unset.
        if article is None or article.category_id is None:
            choices.insert(0, ("", _("No category")))
        self.fields["category"].choices = choices
        if locale_choice:
            self.fields["locale"] = forms.ChoiceField(
                label=_("Language"), choices=[(code, code) for code in store.locales]
            )
            self.order_fields(["locale"])

    def chosen_category(self):
        return self.categories.get(_int(self.cleaned_data.get("category")))


def _editor_context(request, *, store, article, translation, locale, form) -> dict:
    body = form["body"].value() or ""
    context = {
        **_tabs(request, "editor"),
        "store": store,
        "article": article,
        "translation": translation,
        "locale": locale,
        "form": form,
        "preview": render_html(body),
        "max_body": MAX_MARKDOWN_CHARS,
    }
    if article is None:
        return context
    translations = {t.locale: t for t in article.translations.all()}
    context["locales"] = [
        (code, translations.get(code), _state(translations[code]) if code in translations else "")
        for code in dict.fromkeys([*store.locales, *translations])
    ]
    if translation is not None:
        context["state"] = _state(translation)
        context["revisions"] = list(translation.revisions.select_related("author")[:20])
        if translation.is_published and article.is_public and locale in store.locales:
            context["public_url"] = request.build_absolute_uri(public_path(store, translation))
    since = timezone.localdate() - timedelta(days=STATS_DAYS - 1)
    context["views_by_locale"] = list(
        ArticleViewDay.objects.filter(article=article, day__gte=since)
        .values("locale")
        .annotate(total=Sum("count"))
        .order_by("-total", "locale")
    )
    context["comments"] = list(
        ArticleFeedback.objects.filter(article=article).exclude(comment="")[:10]
    )
    yes, no = article.helpful_count, article.unhelpful_count
    context["feedback"] = {"yes": yes, "no": no, "ratio": _helpful_ratio(yes, no)}
    context["stats_days"] = STATS_DAYS
    context["questions"] = list(article.questions.filter(rejected=False))
    context["learn_min_readers"] = questions.LEARN_MIN_READERS
    return context


def _editor_url(article_id: int, locale: str) -> str:
    return reverse("helpcenter-article", args=[article_id, locale])


def _unchanged(translation, article, data, category) -> bool:
    """Whether the form holds exactly the stored draft (publishing needs no new version)."""
    return (
        translation is not None
        and translation.has_draft
        and " ".join(data["title"].split()) == translation.draft_title
        and data["body"] == translation.draft_body
        and (not data["slug"] or data["slug"] == translation.slug)
        and (category is None or category.pk == article.category_id)
        and data["visibility"] == article.visibility
    )


@login_required
@require_http_methods(["GET", "POST"])
def article_edit(request, article_id: int, locale: str):
    """One translation of an article: read by every agent who may see the store; saved,
    published and unpublished by those who may write (see the module's rules)."""
    article = _article(request, article_id)
    store = article.store
    translation = article.translations.filter(locale=locale).first()
    if translation is None and locale not in store.locales:
        raise Http404
    if request.method == "POST" and not can_edit_help_center(request.user):
        raise PermissionDenied
    action = request.POST.get("action", "save")
    if request.method == "POST" and action == "unpublish":
        if translation is not None and translation.is_published:
            services.translation_unpublish(translation=translation, actor=request.user)
            messages.success(request, _("Unpublished: readers no longer see this translation."))
        return redirect(_editor_url(article.pk, locale))
    initial = {
        "visibility": article.visibility,
        "category": str(article.category_id or ""),
        "title": _working_title(translation) if translation else "",
        "body": _working_body(translation) if translation else "",
        "slug": translation.slug if translation else "",
    }
    form = ArticleForm(request.POST or None, initial=initial, store=store, article=article)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        category = form.chosen_category()
        try:
            if action == "publish" and _unchanged(translation, article, data, category):
                services.translation_publish(translation=translation, actor=request.user)
            else:
                services.article_save(
                    store=store,
                    article=article,
                    key=article.key,
                    locale=locale,
                    title=data["title"],
                    body=data["body"],
                    slug=data["slug"],
                    category=category,
                    visibility=data["visibility"],
                    actor=request.user,
                    publish=action == "publish",
                )
        except DomainError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("Published.") if action == "publish" else _("Draft saved."))
            return redirect(_editor_url(article.pk, locale))
    context = _editor_context(
        request, store=store, article=article, translation=translation, locale=locale, form=form
    )
    status = 422 if request.method == "POST" else 200
    return render(request, "web/helpcenter/editor.html", context, status=status)


def _new_key(store, text: str) -> str:
    """A key no article of the store has yet, made from the slug or title."""
    base = slugify(text)[:100].strip("-") or "article"
    key, n = base, 2
    while Article.objects.filter(store=store, key=key).exists():
        key, n = f"{base}-{n}", n + 1
    return key


@editor_required
@require_http_methods(["GET", "POST"])
def article_new(request):
    """A new article in one store: the store first (when the agent sees several), then its
    first translation. ``?title=`` and ``?locale=`` prefill (from content gaps)."""
    store_id = request.POST.get("store") or request.GET.get("store")
    stores = list(store_list(actor=request.user))
    if store_id:
        store = _store(request, store_id)
    elif len(stores) == 1:
        store = stores[0]
    else:
        return render(
            request,
            "web/helpcenter/choose_store.html",
            {**_tabs(request, "new"), "stores": stores, "prefill": request.GET.urlencode()},
        )
    locale = request.GET.get("locale", "")
    initial = {
        "title": request.GET.get("title", "")[:300],
        "locale": locale if locale in store.locales else store.default_locale,
        "visibility": Visibility.PUBLIC,
    }
    form = ArticleForm(request.POST or None, initial=initial, store=store, locale_choice=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        publish = request.POST.get("action") == "publish"
        try:
            saved = services.article_save(
                store=store,
                key=_new_key(store, data["slug"] or data["title"]),
                locale=data["locale"],
                title=data["title"],
                body=data["body"],
                slug=data["slug"],
                category=form.chosen_category(),
                visibility=data["visibility"],
                actor=request.user,
                publish=publish,
            )
        except DomainError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("Published.") if publish else _("Draft saved."))
            return redirect(_editor_url(saved.article_id, saved.locale))
    context = _editor_context(
        request, store=store, article=None, translation=None, locale="", form=form
    )
    status = 422 if request.method == "POST" else 200
    return render(request, "web/helpcenter/editor.html", context, status=status)


@editor_required
@require_POST
def article_delete(request, article_id: int):
    article = _article(request, article_id)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm the deletion."))
        locale = request.POST.get("locale", "")
        if locale not in article.store.locales:
            locale = article.store.default_locale
        return redirect(_editor_url(article.pk, locale))
    services.article_delete(article=article, actor=request.user)
    messages.success(request, _("Article deleted."))
    return redirect("helpcenter")


@editor_required
@require_POST
def article_questions(request, article_id: int):
    """Add a question the article answers (``text``, ``question_locale``), or stop search
    using one (``remove`` = its id; see ``questions.question_remove``). ``locale`` is the
    editor page to return to."""
    article = _article(request, article_id)
    locale = request.POST.get("locale", "")
    back = locale if locale in article.store.locales else article.store.default_locale
    if "remove" in request.POST:
        question = ArticleQuestion.objects.filter(
            article=article, pk=_int(request.POST.get("remove"))
        ).first()
        if question is not None:
            questions.question_remove(question=question, actor=request.user)
            messages.success(request, _("Search no longer uses that question."))
        return redirect(_editor_url(article.pk, back) + "#questions")
    try:
        questions.question_add(
            article=article,
            locale=request.POST.get("question_locale", "") or back,
            text=request.POST.get("text", "")[: questions.MAX_QUESTION_CHARS * 2],
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Question added: search uses it in a few seconds."))
    return redirect(_editor_url(article.pk, back) + "#questions")


@login_required
@require_POST
def article_preview(request):
    """The sanitised HTML of the Markdown in ``body`` (the editor's live preview). It reads
    nothing stored, so it shows nobody anything they could not type themselves."""
    body = request.POST.get("body", "")[:MAX_MARKDOWN_CHARS]
    response = HttpResponse(render_html(body), content_type="text/html; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Categories -----------------------------------------------------------------------------


@editor_required
@require_http_methods(["GET", "POST"])
def category_list(request):
    """Add, rename (names per store language) and reorder a store's categories."""
    stores = list(store_list(actor=request.user))
    store_id = request.POST.get("store") or request.GET.get("store")
    store = _store(request, store_id) if store_id else (stores[0] if stores else None)
    errors: dict[str, str] = {}
    if request.method == "POST" and store is not None:
        action = request.POST.get("action", "save")
        slug = request.POST.get("slug", "").strip()
        try:
            if action == "move":
                _category_move(store, slug, request.POST.get("direction", ""))
            else:
                names = {
                    code: request.POST.get(f"name_{code}", "").strip() for code in store.locales
                }
                position = _int(request.POST.get("position"))
                if action == "add":
                    slug = _new_category_slug(store, request.POST.get("new_slug", ""), names)
                elif not Category.objects.filter(store=store, slug=slug).exists():
                    raise NotFound(_("No such category."))
                services.category_save(
                    store=store,
                    slug=slug,
                    names=names,
                    position=max(position, 0) if position is not None else None,
                )
        except DomainError as exc:
            errors["new" if action == "add" else slug] = exc.message
        else:
            messages.success(request, _("Categories saved."))
            return redirect(f"{reverse('helpcenter-categories')}?store={store.pk}")
    categories = list(Category.objects.filter(store=store)) if store else []
    counts = dict(
        Article.objects.filter(category__in=categories)
        .values("category_id")
        .annotate(n=Count("id"))
        .values_list("category_id", "n")
    )
    rows = [
        {
            "category": category,
            "names": [(code, category.names.get(code, "")) for code in store.locales],
            "articles": counts.get(category.pk, 0),
            "error": errors.get(category.slug, ""),
        }
        for category in categories
    ]
    context = {
        **_tabs(request, "categories"),
        "stores": stores,
        "store": store,
        "rows": rows,
        "new_error": errors.get("new", ""),
        "new_names": [
            (code, request.POST.get(f"name_{code}", "") if "new" in errors else "")
            for code in (store.locales if store else [])
        ],
        "new_slug": request.POST.get("new_slug", "") if "new" in errors else "",
    }
    return render(request, "web/helpcenter/categories.html", context, status=422 if errors else 200)


def _new_category_slug(store, slug: str, names: dict) -> str:
    """The slug typed, else one made from the first name given; never an existing one
    (``category_save`` would rename that category instead)."""
    slug = slugify(slug or next((name for name in names.values() if name), ""))[:80]
    if not slug:
        raise ValidationError(
            _("Give the category an address (letters a-z, digits) or a name in Latin letters."),
            field="slug",
        )
    if Category.objects.filter(store=store, slug=slug).exists():
        raise ValidationError(_("A category with this address exists already."), field="slug")
    return slug


def _category_move(store, slug: str, direction: str) -> None:
    """Swap a category with its neighbour and number the store's categories 10, 20, ..."""
    order = list(Category.objects.filter(store=store))
    index = next((i for i, c in enumerate(order) if c.slug == slug), None)
    if index is None:
        raise NotFound(_("No such category."))
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(order) and direction in ("up", "down"):
        order[index], order[other] = order[other], order[index]
    for position, category in enumerate(order, start=1):
        if category.position != position * 10:
            services.category_save(store=store, slug=category.slug, position=position * 10)


# --- Content gaps ---------------------------------------------------------------------------


@gaps_required
@require_GET
def content_gap_list(request):
    """What readers searched for and found nothing for, or did not open anything from."""
    days = _int(request.GET.get("days"))
    days = days if days in GAP_PERIODS else 30
    stores = {store.pk: store for store in store_list(actor=request.user)}
    store = stores.get(_int(request.GET.get("store")))
    store_ids = visible_store_ids(request.user)
    if store is not None:
        store_ids = [store.pk]
    gaps = content_gaps(store_ids, since=timezone.now() - timedelta(days=days))
    rows = []
    for gap in gaps:
        gap_store = stores.get(gap["store_id"])
        if gap_store is None:  # defensive: only stores the agent sees
            continue
        write = {"store": gap_store.pk, "title": gap["example"]}
        if gap["locale"] in gap_store.locales:
            write["locale"] = gap["locale"]
        rows.append({**gap, "store": gap_store, "write_query": urlencode(write)})
    context = {
        **_tabs(request, "gaps"),
        "rows": rows,
        "days": days,
        "periods": GAP_PERIODS,
        "stores": list(stores.values()),
        "store": store,
    }
    return render(request, "web/helpcenter/gaps.html", context)


# --- The composer's article picker ----------------------------------------------------------


def conversation_locale(conversation) -> str:
    """The store locale closest to the conversation's language, else the store's default."""
    store = conversation.store
    language = (conversation.language or "").strip().replace("_", "-").lower()
    if language in store.locales:
        return language
    base = language.split("-")[0]
    for code in store.locales:
        if base and code.split("-")[0] == base:
            return code
    return store.default_locale


@login_required
@require_GET
def article_picker(request, conversation_id: int):
    """Public, published articles of the conversation's store matching ``q`` (the most
    read ones without a query), each with the link to send to the customer."""
    try:
        conversation = access_conversation(actor=request.user, id=conversation_id)
    except NotFound:
        raise Http404 from None
    store = conversation.store
    locale = conversation_locale(conversation)
    q = " ".join(request.GET.get("q", "").split())[:200]
    if q:
        found = [
            (hit.translation, hit.snippet)
            for hit in search_articles(
                store, q, locale=locale, include_internal=False, limit=PICKER_LIMIT
            )
            if hit.article.is_public
            and hit.article.store_id == store.pk
            and hit.translation.locale in store.locales
        ]
    else:
        found = [
            (t, "")
            for t in public_translations(store)
            .filter(locale=locale)
            .order_by("-article__view_count", "title")[:PICKER_LIMIT]
        ]
    items = [
        {
            "translation": t,
            "snippet": snippet,
            "url": request.build_absolute_uri(public_path(store, t)),
        }
        for t, snippet in found
    ]
    return render(request, "web/helpcenter/_picker_results.html", {"items": items, "q": q})
