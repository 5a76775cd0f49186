"""Salesforce API calls per converted lead: one at a time, and 200 in one bulk conversion.

Run: /work/main/.venv/bin/python bench/conversion_api_calls.py
Counts the calls the local sandbox org charges to its daily quota (token requests are free, as in Salesforce).
"""

from conversion_setup import api_calls, prepare_database, qualified_leads, sandbox_org

from leadflow.crm import services
from leadflow.crm.models import Conversion, ConversionStatus

SINGLE = 20
BULK = 200


def main() -> None:
    prepare_database()
    with sandbox_org() as org:
        single = qualified_leads(SINGLE, prefix="single")
        before = api_calls(org)
        for lead in single:
            services.lead_convert_request(lead=lead, actor="bench")
            services.lead_convert_run(lead_id=lead.pk)
        single_calls = api_calls(org) - before

        bulk = qualified_leads(BULK, prefix="bulk")
        before = api_calls(org)
        services.leads_convert_request(leads=bulk, actor="bench")
        services.leads_convert_run(lead_ids=[lead.pk for lead in bulk])
        bulk_calls = api_calls(org) - before

    done = Conversion.objects.filter(status=ConversionStatus.DONE).count()
    assert done == SINGLE + BULK, f"only {done} of {SINGLE + BULK} conversions finished"
    print(f"{'single (one lead per request)':<34} {single_calls / SINGLE:6.3f} API calls per converted lead")
    print(f"{'bulk of 200':<34} {bulk_calls / BULK:6.3f} API calls per converted lead")
    print(f"{'bulk saves':<34} {single_calls / SINGLE / (bulk_calls / BULK):6.1f}x the calls of single conversions")


if __name__ == "__main__":
    main()
