import factory
from factory.django import DjangoModelFactory

from leadflow.intake.models import FormField, LeadForm


class LeadFormFactory(DjangoModelFactory):
    """A contact form with name, email (required), phone, company and a custom 'budget' field."""

    class Meta:
        model = LeadForm
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Contact form {n}")
    source = "website"
    allowed_origins = "http://partner.example"
    min_fill_seconds = 0
    consent_text_en = "I agree to be contacted."
    consent_text_nl = "Ik ga akkoord met contact."

    @factory.post_generation
    def with_fields(form, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        for order, (name, label_en, label_nl, required) in enumerate(
            [
                ("first_name", "First name", "Voornaam", False),
                ("email", "Email", "E-mail", True),
                ("phone", "Phone", "Telefoon", False),
                ("company", "Company", "Bedrijf", False),
                ("budget", "Budget", "Budget", False),
            ]
        ):
            FormField.objects.create(
                form=form, name=name, label_en=label_en, label_nl=label_nl, required=required, order=order
            )
