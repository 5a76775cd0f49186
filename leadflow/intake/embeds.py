"""The three copy-paste embeds of a form, with this deployment's absolute URLs."""

from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import escape

from leadflow.intake.models import LeadForm
from leadflow.intake.views import form_context


def embed_snippets(form: LeadForm) -> dict[str, str]:
    base = settings.LEADFLOW_BASE_URL
    script = base + static("intake/embed.js")
    page = base + reverse("intake:form-page", args=[form.key])
    return {
        "1. Script (renders the form, submits with fetch)": f'<script src="{script}" data-form="{form.key}" async>'
        "</script>",
        "2. Iframe (hosted form page)": f'<iframe src="{page}" title="{escape(form.name)}" '
        'style="width:100%;max-width:40rem;height:40rem;border:0"></iframe>',
        "3. Plain HTML form (works without JavaScript)": plain_form_snippet(form),
    }


def plain_form_snippet(form: LeadForm) -> str:
    """A static <form> posting straight to Leadflow; errors show on the hosted page with the values kept.

    `novalidate`: the server's messages come in the form's language, the browser's in the browser's.
    """
    context = form_context(form, form.default_language)
    lines = [f'<form action="{context["submit_url"]}" method="post" class="lf-form" novalidate>']
    for field in context["fields"]:
        required = " required" if field["required"] else ""
        name = field["name"]
        lines.append(f'  <label for="lf-{name}">{escape(field["label"])}</label>')
        if field["type"] == "textarea":
            lines.append(f'  <textarea id="lf-{name}" name="{name}"{required}></textarea>')
        else:
            lines.append(f'  <input id="lf-{name}" name="{name}" type="{field["type"]}"{required}>')
    if context["consent"]:
        lines.append(f'  <label><input type="checkbox" name="consent" value="on"> {escape(context["consent"])}</label>')
    honeypot = context["honeypot"]
    lines += [
        f'  <input type="hidden" name="language" value="{context["language"]}">',
        f'  <div style="position:absolute;left:-10000px" aria-hidden="true"><input type="text" '
        f'name="{honeypot["name"]}" tabindex="-1" autocomplete="off"></div>',
        f'  <button type="submit">{escape(context["texts"]["submit"])}</button>',
        "</form>",
    ]
    return "\n".join(lines)
