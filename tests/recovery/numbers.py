"""Phone numbers the recovery tests share; each is valid for phonenumbers unless named otherwise."""

from zoneinfo import ZoneInfo

NEW_YORK = "+12125550123"
LOS_ANGELES = "+12135550123"
SANTA_MONICA = "+13105550123"
MIAMI = "+13055550123"
OKLAHOMA_CITY = "+14055550123"
BALTIMORE = "+14105550123"
ANCHORAGE = "+19075550123"
TOLL_FREE = "+18005550123"
LONDON = "+442071838750"
# 555 is not an assigned area code: phonenumbers answers Etc/Unknown for it.
UNASSIGNED = "+15555550123"

EASTERN = ZoneInfo("America/New_York")
