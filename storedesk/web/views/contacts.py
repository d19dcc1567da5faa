"""Contacts: list and search, profile with conversations and orders, edit, merge."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from storedesk.accounts.selectors import agent_list
from storedesk.commerce.selectors import order_list_for_contact
from storedesk.contacts import selectors, services
from storedesk.conversations.selectors import contact_conversations
from storedesk.core.errors import DomainError, NotFound
from storedesk.core.pagination import SortKey, paginate
from storedesk.stores.selectors import store_list

CONTACT_SORT = (SortKey("id", True),)


def _contact(request, contact_id: int):
    try:
        return selectors.access_contact(actor=request.user, id=contact_id)
    except NotFound:
        raise Http404 from None


@login_required
def contact_list(request):
    q = request.GET.get("q", "").strip()[:200]
    store = request.GET.get("store")
    contacts = selectors.contact_list(
        actor=request.user, q=q, store_id=int(store) if store and store.isdigit() else None
    ).select_related("store")
    try:
        rows, next_cursor = paginate(
            contacts, CONTACT_SORT, cursor=request.GET.get("cursor"), limit=50
        )
    except DomainError:
        rows, next_cursor = paginate(contacts, CONTACT_SORT, cursor=None, limit=50)
    return render(
        request,
        "web/contacts/list.html",
        {
            "nav": "contacts",
            "rows": rows,
            "next_cursor": next_cursor,
            "q": q,
            "store": store,
            "stores": list(store_list(actor=request.user)),
        },
    )


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    locale = forms.CharField(label=_("Language"), max_length=16, required=False)
    notes = forms.CharField(
        label=_("Notes"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=20_000,
    )
    dedicated_agent = forms.ModelChoiceField(
        label=_("Dedicated agent"), queryset=None, required=False
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dedicated_agent"].queryset = agent_list(actor=actor)


@login_required
@require_http_methods(["GET", "POST"])
def contact_detail(request, contact_id: int):
    contact = _contact(request, contact_id)
    initial = {f: getattr(contact, f) for f in ("name", "email", "phone", "locale", "notes")}
    initial["dedicated_agent"] = contact.dedicated_agent
    form = ContactForm(request.POST or None, initial=initial, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(contact=contact, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Contact saved."))
            return redirect("contact", contact_id=contact.pk)
    return render(
        request,
        "web/contacts/detail.html",
        {
            "nav": "contacts",
            "contact": contact,
            "form": form,
            "conversations": contact_conversations(
                actor=request.user, contact_id=contact.pk, limit=50
            ),
            "orders": order_list_for_contact(contact=contact),
        },
    )


@login_required
@require_POST
def contact_merge(request, contact_id: int):
    """Merge another contact of the same store (found by id or email) into this one."""
    target = _contact(request, contact_id)
    other = request.POST.get("other", "").strip()
    source = None
    if other.isdigit():
        source = selectors.contact_list(actor=request.user).filter(pk=int(other)).first()
    elif other:
        source = selectors.contact_list(
            actor=request.user, email=other, store_id=target.store_id
        ).first()
    if source is None:
        messages.error(request, _("No such contact in this store."))
        return redirect("contact", contact_id=target.pk)
    try:
        services.contact_merge(target=target, source=source, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Contacts merged."))
    return redirect("contact", contact_id=target.pk)
