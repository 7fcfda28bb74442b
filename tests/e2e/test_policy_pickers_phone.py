"""The policy form's pickers on a phone (issue 18): typing in the holder's search box fills
the holder list with the agent's own clients found; choosing one brings the holder's family
into the insured-member list and the beneficiaries' name suggestions. No other agent's
client ever appears; nothing is wider than the screen."""

import pytest
from playwright.sync_api import expect

from ..factories import ClientFactory, FamilyMemberFactory, TeamFactory, UserFactory
from .checks import assert_no_horizontal_scroll, assert_page_sound
from .test_mobile import PHONE

pytestmark = pytest.mark.django_db(transaction=True)


def test_phone_holder_search_and_family(new_page):
    agent = UserFactory(username="zhang.wei", team=TeamFactory(name="上海一部"))
    holder = ClientFactory(owner=agent, name="王芳", mobile="+8613800138000")
    for n in range(25):
        ClientFactory(owner=agent, name=f"李{n}")
    FamilyMemberFactory(client=holder, name="王小明")
    FamilyMemberFactory(client=ClientFactory(owner=agent, name="赵六"), name="赵家孩子")
    ClientFactory(owner=UserFactory(username="other.agent"), name="王芳外人")

    page = new_page(user=agent, **PHONE)
    page.goto("/policies/new/")
    holder_select = page.locator("select[name=holder]")
    expect(holder_select.locator("option")).to_have_count(1)  # only the empty choice

    search = page.locator("input.picker-search").first
    search.tap()
    search.fill("王")
    expect(holder_select.locator(f"option[value='{holder.pk}']")).to_have_count(1)
    expect(holder_select).not_to_contain_text("外人")
    expect(holder_select).not_to_contain_text("李")

    holder_select.select_option(str(holder.pk))
    member_select = page.locator("select[name=insured_member]")
    expect(member_select).to_contain_text("王小明")
    expect(member_select).not_to_contain_text("赵家孩子")
    expect(page.locator("#beneficiary-names option[value='王小明']")).to_have_count(1)

    assert_page_sound(page)
    assert_no_horizontal_scroll(page)
