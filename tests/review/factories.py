import factory
from django.contrib.auth.models import Group
from factory.django import DjangoModelFactory

from leadflow.review.models import AssignmentRule, ResponseTarget, Team, TeamMembership
from leadflow.review.roles import grant_admin_permissions
from tests.factories import UserFactory


def user_with_role(username: str, role: str, **fields):
    user = UserFactory(username=username, **fields)
    # get_or_create: transactional (browser) tests flush the groups the data migration made.
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    grant_admin_permissions()
    return user


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class TeamMembershipFactory(DjangoModelFactory):
    class Meta:
        model = TeamMembership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)


class AssignmentRuleFactory(DjangoModelFactory):
    class Meta:
        model = AssignmentRule

    name = factory.Sequence(lambda n: f"Rule {n}")


class ResponseTargetFactory(DjangoModelFactory):
    class Meta:
        model = ResponseTarget

    source = "website"
    first_response_hours = 4
