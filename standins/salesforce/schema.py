"""The sObjects the sandbox knows: a B2B subset of the standard fields plus Leadflow's custom fields."""

from dataclasses import dataclass, field, replace

TEXT_TYPES = {"string", "textarea", "url", "phone", "email", "picklist"}


@dataclass(frozen=True)
class Field:
    name: str
    type: str = "string"
    length: int = 0
    label: str = ""
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    external_id: bool = False
    unique: bool = False
    defaulted_on_create: bool = False
    reference_to: tuple[str, ...] = ()
    default_value: object = None
    # Shown in describe. Other values are accepted unless the picklist is restricted
    # (INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST), as Opportunity.StageName is.
    picklist_values: tuple[str, ...] = ()
    restricted: bool = False
    # A validation rule is invisible in describe: the field stays nillable but a blank value is refused.
    validation_message: str = ""

    @property
    def required(self) -> bool:
        return not self.nillable and self.createable and not self.defaulted_on_create

    @property
    def relationship_name(self) -> str | None:
        if self.type != "reference":
            return None
        return self.name[:-2] if self.name.endswith("Id") else self.name.replace("__c", "__r")

    def describe(self) -> dict:
        return {
            "name": self.name,
            "label": self.label or self.name,
            "type": self.type,
            "length": self.length,
            "byteLength": self.length * 3,
            "nillable": self.nillable,
            "createable": self.createable,
            "updateable": self.updateable,
            "externalId": self.external_id,
            "unique": self.unique,
            "idLookup": self.external_id or self.name == "Id",
            "defaultedOnCreate": self.defaulted_on_create,
            "defaultValue": self.default_value,
            "custom": self.name.endswith("__c"),
            "caseSensitive": False,
            "referenceTo": list(self.reference_to),
            "restrictedPicklist": self.restricted,
            "relationshipName": self.relationship_name,
            "picklistValues": [
                {
                    "active": True,
                    "defaultValue": value == self.default_value,
                    "label": value,
                    "validFor": None,
                    "value": value,
                }
                for value in self.picklist_values
            ],
            "precision": 18 if self.type in ("double", "currency") else 0,
            "scale": 2 if self.type in ("double", "currency") else 0,
            "digits": 9 if self.type == "int" else 0,
        }


@dataclass(frozen=True)
class SObjectType:
    name: str
    key_prefix: str
    label: str
    fields: tuple[Field, ...] = field(default=())

    def field(self, name: str) -> Field | None:
        """Field by name, case-insensitively as Salesforce resolves them."""
        lowered = name.lower()
        return next(
            (candidate for candidate in self.fields if candidate.name.lower() == lowered),
            None,
        )

    def with_field(self, extra: Field) -> "SObjectType":
        others = tuple(existing for existing in self.fields if existing.name.lower() != extra.name.lower())
        return replace(self, fields=others + (extra,))

    def describe(self) -> dict:
        base = f"/services/data/v{{version}}/sobjects/{self.name}"
        return {
            "name": self.name,
            "label": self.label,
            "labelPlural": self.label + "s",
            "keyPrefix": self.key_prefix,
            "custom": False,
            "createable": True,
            "updateable": True,
            "deletable": True,
            "queryable": True,
            "searchable": True,
            "urls": {
                "sobject": base,
                "describe": base + "/describe",
                "rowTemplate": base + "/{ID}",
            },
            "fields": [each.describe() for each in self.fields],
        }


LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
LEAD_STATUSES = (
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
)
OPPORTUNITY_STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
)


def _picklist(name: str, values: tuple[str, ...], **options) -> Field:
    return Field(name, "picklist", 255, picklist_values=values, **options)


def _text(name: str, length: int, **options) -> Field:
    return Field(name, "string", length, **options)


def _required_text(name: str, length: int) -> Field:
    return Field(name, "string", length, nillable=False)


def _reference(name: str, target: str) -> Field:
    return Field(name, "reference", 18, reference_to=(target,))


def _leadflow_id() -> Field:
    return Field(
        "Leadflow_Id__c",
        "string",
        64,
        label="Leadflow Id",
        external_id=True,
        unique=True,
    )


def _system(name: str, type_: str) -> Field:
    """A field Salesforce maintains itself: always set, never written by clients."""
    return Field(
        name,
        type_,
        18 if type_ == "id" else 0,
        nillable=False,
        createable=False,
        updateable=False,
        defaulted_on_create=True,
    )


SYSTEM_FIELDS = (
    _system("Id", "id"),
    _system("IsDeleted", "boolean"),
    _system("CreatedDate", "datetime"),
    _system("LastModifiedDate", "datetime"),
    _system("SystemModstamp", "datetime"),
)

_ADDRESS = ("Street", "City", "State", "PostalCode", "Country")


def _address(prefix: str) -> tuple[Field, ...]:
    lengths = {"Street": 255, "City": 40, "State": 80, "PostalCode": 20, "Country": 80}
    return tuple(Field(prefix + part, "textarea" if part == "Street" else "string", lengths[part]) for part in _ADDRESS)


ACCOUNT = SObjectType(
    "Account",
    "001",
    "Account",
    SYSTEM_FIELDS
    + (
        _required_text("Name", 255),
        _text("AccountNumber", 40),
        Field("Website", "url", 255),
        Field("Phone", "phone", 40),
        Field("Industry", "picklist", 255),
        Field("Type", "picklist", 255),
        Field("NumberOfEmployees", "int"),
        Field("AnnualRevenue", "currency"),
        Field("Description", "textarea", 32000),
        _reference("ParentId", "Account"),
        *_address("Billing"),
        *_address("Shipping"),
        _leadflow_id(),
        _text("VAT_Number__c", 20, label="VAT Number"),
        _text("KvK_Number__c", 20, label="KvK Number"),
    ),
)

CONTACT = SObjectType(
    "Contact",
    "003",
    "Contact",
    SYSTEM_FIELDS
    + (
        _text("FirstName", 40),
        _required_text("LastName", 80),
        _text("Salutation", 40),
        Field("Email", "email", 80),
        Field("Phone", "phone", 40),
        Field("MobilePhone", "phone", 40),
        _text("Title", 128),
        _text("Department", 80),
        _picklist("LeadSource", LEAD_SOURCES),
        Field("Description", "textarea", 32000),
        _reference("AccountId", "Account"),
        *_address("Mailing"),
        _leadflow_id(),
    ),
)

OPPORTUNITY = SObjectType(
    "Opportunity",
    "006",
    "Opportunity",
    SYSTEM_FIELDS
    + (
        _required_text("Name", 120),
        _picklist("StageName", OPPORTUNITY_STAGES, nillable=False, restricted=True),
        Field("CloseDate", "date", nillable=False),
        Field("Amount", "currency"),
        Field("Probability", "double"),
        Field("Type", "picklist", 255),
        _picklist("LeadSource", LEAD_SOURCES),
        Field("NextStep", "string", 255),
        Field("Description", "textarea", 32000),
        _reference("AccountId", "Account"),
        _reference("ContactId", "Contact"),
        _leadflow_id(),
    ),
)

LEAD = SObjectType(
    "Lead",
    "00Q",
    "Lead",
    SYSTEM_FIELDS
    + (
        _text("FirstName", 40),
        _required_text("LastName", 80),
        _required_text("Company", 255),
        _text("Title", 128),
        Field("Email", "email", 80),
        Field("Phone", "phone", 40),
        Field("MobilePhone", "phone", 40),
        Field("Website", "url", 255),
        Field("Industry", "picklist", 255),
        _picklist("LeadSource", LEAD_SOURCES),
        _picklist(
            "Status",
            LEAD_STATUSES,
            defaulted_on_create=True,
            default_value=LEAD_STATUSES[0],
        ),
        Field("NumberOfEmployees", "int"),
        Field("Description", "textarea", 32000),
        *_address(""),
        _leadflow_id(),
    ),
)

CONTACT_ROLES = (
    "Business User",
    "Decision Maker",
    "Economic Buyer",
    "Economic Decision Maker",
    "Evaluator",
    "Executive Sponsor",
    "Influencer",
    "Technical Buyer",
    "Other",
)

OPPORTUNITY_CONTACT_ROLE = SObjectType(
    "OpportunityContactRole",
    "00K",
    "Opportunity Contact Role",
    SYSTEM_FIELDS
    + (
        # Required and fixed once created: a role belongs to one Opportunity.
        Field("OpportunityId", "reference", 18, nillable=False, updateable=False, reference_to=("Opportunity",)),
        Field("ContactId", "reference", 18, nillable=False, reference_to=("Contact",)),
        Field("IsPrimary", "boolean", nillable=False, defaulted_on_create=True, default_value=False),
        _picklist("Role", CONTACT_ROLES),
    ),
)

STANDARD_OBJECTS = {each.name: each for each in (ACCOUNT, CONTACT, OPPORTUNITY, LEAD, OPPORTUNITY_CONTACT_ROLE)}
