"""The admin and the API docs come last in what ``summit demo`` prints (``core/demo.py``)."""


def sheet(sheet, site: str) -> None:
    sheet.urls += [("Admin", f"{site}/admin/"), ("API docs", f"{site}/api/docs")]
