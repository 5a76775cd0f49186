"""The duplicate matchers Leadflow ships (settings.LEADFLOW_MATCHERS): other leads, and records in the CRM."""

from dataclasses import replace

from leadflow.leads.models import Lead
from leadflow.quality import selectors
from leadflow.quality.matching.base import Candidate, Matcher
from leadflow.quality.matching.profile import (
    Profile,
    blocking_keys,
    profile_from_lead,
    profile_from_values,
    usable_keys,
)
from leadflow.quality.matching.scoring import Weights, score_pair
from leadflow.quality.remote import RemoteQuery, RemoteRecord, remote_directory

# Keys that say "same company". For a person they find colleagues, and a same-account hint needs only a few
# of them, so a person's look-up samples these blocks instead of scoring everyone at a large customer.
ACCOUNT_KEYS = ("company_key", "domain")
ACCOUNT_HINT_SAMPLE = 5
# People records in the CRM; an Account is a company, so a match on it is a "same account" hint.
REMOTE_PEOPLE = ("Lead", "Contact")


class LeadMatcher(Matcher):
    """Other Leadflow leads sharing a blocking key (indexed look-ups), scored on every field they have."""

    name = "leads"

    def match(self, *, lead: Lead) -> list[Candidate]:
        config = selectors.match_config()
        profile = profile_from_lead(lead)
        keys = usable_keys(blocking_keys(profile), config.weights.common)
        account_keys = {k: keys.pop(k, "") for k in ACCOUNT_KEYS} if profile.is_person else {}
        ids = selectors.blocked_lead_ids(keys=keys, exclude_id=lead.pk, max_block_size=config.max_block_size)
        ids |= selectors.sampled_lead_ids(keys=account_keys, exclude_id=lead.pk, limit=ACCOUNT_HINT_SAMPLE)
        ids |= selectors.same_contact_lead_ids(lead=lead, limit=config.max_block_size)
        ids -= selectors.dismissed_partner_ids(lead_id=lead.pk)
        weights = weights_for(profile, config)
        candidates = []
        for other in selectors.leads_for_matching(ids):
            pair = score_pair(profile, profile_from_lead(other), weights)
            if config.decision(pair.score) or pair.same_account:
                candidates.append(
                    Candidate(
                        score=pair.score,
                        reasons=pair.reasons,
                        other_lead_id=other.pk,
                        remote_label=other.display_name,
                        same_account=pair.same_account,
                    )
                )
        return candidates


class RemoteMatcher(Matcher):
    """Leads, Contacts and Accounts already in the CRM (settings.LEADFLOW_REMOTE_DIRECTORY)."""

    name = "crm"
    network = True

    def match(self, *, lead: Lead) -> list[Candidate]:
        directory = remote_directory()
        if directory is None:
            return []
        profile = profile_from_lead(lead)
        query = remote_query(profile, company=lead.company)
        if not query:
            return []
        weights = weights_for(profile, selectors.match_config())
        return [self._candidate(profile, record, weights) for record in directory.search(query=query)]

    def _candidate(self, profile: Profile, record: RemoteRecord, weights: Weights) -> Candidate:
        other = profile_from_values(record.fields)
        pair = score_pair(profile, other, weights)
        # An Account is where this person works, never the person: the lead converts onto it.
        score = pair.score if record.sobject in REMOTE_PEOPLE else 0.0
        return Candidate(
            score=score,
            reasons=pair.reasons,
            remote_object=record.sobject,
            remote_id=record.id,
            remote_label=record.label,
            same_account=pair.same_account or (record.sobject not in REMOTE_PEOPLE and bool(pair.reasons)),
        )


def weights_for(profile: Profile, config: selectors.MatchConfig) -> Weights:
    """The model with the term frequencies of this profile's values: a pair agrees exactly only on those."""
    return replace(config.weights, term_frequency=selectors.term_frequencies(profiles=[profile]))


def remote_query(profile: Profile, *, company: str) -> RemoteQuery:
    """Ask the CRM only for values that identify someone: no free-mail domains, no empty strings."""
    return RemoteQuery(
        emails=(profile.email,) if profile.email else (),
        phones=(profile.phone,) if profile.phone.startswith("+") else (),
        domains=(profile.domain,) if profile.domain else (),
        company_names=(company.strip()[:255],) if profile.company else (),
        vat_numbers=(profile.vat,) if profile.vat else (),
        registration_numbers=(profile.registration,) if profile.registration else (),
    )
