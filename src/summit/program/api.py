"""Program API: forums, sessions, speakers, bookings."""

from ninja import Router

router = Router(tags=["program"])
