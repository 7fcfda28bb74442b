from .household import Household, Person, get_household_for_user, household_of  # noqa: F401
from .review import Needs, review_data  # noqa: F401
