"""What every kind of import file shares: its fields (with the header spellings seen in DMS
and CRM exports), and the two set-based steps after the cells are read: ``resolve`` looks up
the records the rows name, all at once, and decides what each row does; ``write`` writes the
rows that create or update, in bulk.
"""

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.db.models import Choices, Model
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from channels.models import Dealer
from datahub.models import NETWORK_KINDS, ImportKind, RowAction
from dealerops.bulk_history import BulkHistory
from dealerops.formats import format_percent, format_yuan
from dealerops.models import User
from dealerops.tabular import normalise_header
from dealerops.validation import today


@dataclass(frozen=True)
class Field:
    """A column an import file may have. ``aliases`` are header spellings (any case, spaces
    and punctuation ignored); the field's own name and label always count as aliases."""

    name: str
    label: Promise
    read: Callable[[Any], Any]
    aliases: tuple[str, ...] = ()
    required: bool = True
    kind: str = "text"  # "money" or "rate" for a Decimal the preview formats as such

    def labels(self) -> list[str]:
        """The field's label in every UI language: a file headed in either is understood,
        whatever language the check runs in (a background check runs in the default one)."""
        labels = []
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                labels.append(str(self.label))
        return labels

    def spellings(self) -> set[str]:
        return {normalise_header(text) for text in (self.name, *self.labels(), *self.aliases)}

    def accepted_headers(self) -> list[str]:
        """The header spellings to show a clerk: the label in the UI language first, then the
        others, each spelling once (compared as headers are)."""
        seen: set[str] = set()
        shown = []
        for text in (str(self.label), *self.labels(), *self.aliases, self.name):
            if normalise_header(text) not in seen:
                seen.add(normalise_header(text))
                shown.append(text)
        return shown

    def show(self, value: Any) -> str:
        """A read value as it will be written, for the preview."""
        if value is None:
            return ""
        if type(value) is str:  # most cells: the fast path (a file may have a million of them)
            return value
        if isinstance(value, Choices):
            return str(value.label)
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if isinstance(value, datetime):
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal) and self.kind == "money":
            return format_yuan(value)
        if isinstance(value, Decimal) and self.kind == "rate":
            return format_percent(value)
        return str(value)


@dataclass
class CheckedRow:
    """One data row after its cells were read: values by field, errors as (column, message)."""

    row_number: int
    values: dict[str, Any]
    errors: list[tuple[str, str]] = field(default_factory=list)
    action: str = ""
    object_id: int | None = None
    natural_key: str = ""
    cells: list[Any] = field(default_factory=list)  # the file's row as read
    unread: dict[str, str] = field(default_factory=dict)  # field -> the text of a cell not read
    notes: list[str] = field(default_factory=list)  # what the clerk should know of a valid row

    def error(self, column: str, message: str) -> None:
        self.errors.append((column, message))
        self.action = RowAction.ERROR


class ImportSpec(ABC):
    """One kind of file. Subclasses declare ``fields`` and ``natural_key`` and implement
    ``resolve`` and ``write``; ``column`` gives the header text to name in a row's error."""

    kind: ClassVar[ImportKind]
    fields: ClassVar[tuple[Field, ...]]
    natural_key: ClassVar[str]  # the field a row is upserted by
    # One row of the kind's template: a cell a clerk can copy for every field (read by the
    # field's own reader, so the template imports cleanly; tests/datahub check it does).
    example: ClassVar[dict[str, str]]
    # Models whose audit events ``write`` records itself through ``self.history`` (set-based,
    # see dealerops.bulk_history); any other model written keeps its per-row triggers.
    audited_in_bulk: ClassVar[tuple[type[Model], ...]] = ()
    # A network kind (``datahub.models.NETWORK_KINDS``) is a file of no dealer: the writers of
    # this model (``dealerops.access``) import it. A dealer's kind leaves it None.
    network_model: ClassVar[type[Model] | None] = None

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__ and (cls.network_model is not None) != (cls.kind in NETWORK_KINDS):
            raise TypeError(f"{cls.__name__}: a kind of NETWORK_KINDS names its network_model, no other does")

    def __init__(self, dealer: Dealer | None, headers: dict[str, str]) -> None:
        self.dealer = dealer  # None for a network kind
        self.headers = headers  # field name -> the file's header text
        self.history: BulkHistory | None = None  # set by the service while it writes
        # Who writes the file: its confirmer, or, while it is checked for the preview, its
        # uploader (the preview says what their confirmation will do). Set by the service.
        self.written_by: User | None = None
        self.today = today()

    def column(self, name: str) -> str:
        return self.headers.get(name) or str(next(f.label for f in self.fields if f.name == name))

    def key(self, values: dict[str, Any]) -> str:
        """The natural key a row is upserted by, as text (duplicates within a file are refused)."""
        return str(values[self.natural_key])

    @abstractmethod
    def resolve(self, rows: list[CheckedRow]) -> None:
        """Look up existing records for all rows at once; set each row's action and record id,
        or add its errors."""
        ...

    @abstractmethod
    def write(self, rows: list[CheckedRow]) -> None:
        """Create and update the records of ``rows`` (all of them valid, none unchanged)."""
        ...

    def record_history(self, model: type[Model], rows: list[CheckedRow], ids: list[int]) -> None:
        """Audit events for the records ``ids`` written from ``rows`` (in the same order)."""
        assert self.history is not None, "write() runs inside history_in_bulk"
        for label, action in (("insert", RowAction.CREATE), ("update", RowAction.UPDATE)):
            self.history.record(model, label, [pk for row, pk in zip(rows, ids, strict=True) if row.action == action])

    # -- helpers for subclasses --------------------------------------------------------------

    def refuse_future(self, row: CheckedRow, *names: str) -> None:
        for name in names:
            value = row.values.get(name)
            day = value.date() if isinstance(value, datetime) else value
            if isinstance(day, date) and day > self.today:
                row.error(self.column(name), _("the date %(date)s is in the future.") % {"date": day})

    @staticmethod
    def decide(row: CheckedRow, existing: dict[str, Any] | None, compared: Iterable[str]) -> None:
        """Create when nothing exists, unchanged when every compared value equals the record's,
        update otherwise."""
        if row.action == RowAction.ERROR:
            return
        if existing is None:
            row.action = RowAction.CREATE
            return
        row.object_id = existing["id"]
        same = all(_same(row.values.get(name), existing.get(name)) for name in compared)
        row.action = RowAction.UNCHANGED if same else RowAction.UPDATE


def _same(new: Any, old: Any) -> bool:
    if isinstance(new, Decimal) and old is not None:
        return new == Decimal(old)
    return new == old


# -- cell readers shared by the kinds ---------------------------------------------------------


def choice_reader(spellings: dict[str, str], hint: str) -> Callable[[Any], str]:
    """Reads a cell into a choice value by its spellings (compared like headers)."""
    lookup = {normalise_header(text): value for text, value in spellings.items()}

    def read(cell: Any) -> str:
        text = "" if cell is None else str(cell).strip()
        try:
            return lookup[normalise_header(text)]
        except KeyError:
            if not text:
                raise ValueError(_("this cell is empty.")) from None
            raise ValueError(_("“%(value)s” is not one of: %(hint)s.") % {"value": text[:40], "hint": hint}) from None

    return read


YES_NO = {
    "是": True, "否": False, "y": True, "n": False, "yes": True, "no": False, "true": True, "false": False,
    "1": True, "0": False, "同意": True, "不同意": False, "": False,
}  # fmt: skip


def read_yes_no(cell: Any) -> bool:
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, int | float) and cell in (0, 1):
        return bool(cell)
    text = normalise_header("" if cell is None else cell)
    if text in YES_NO:
        return YES_NO[text]
    raise ValueError(_("“%(value)s” is not yes or no (是/否).") % {"value": str(cell)[:40]})


def optional(read: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A reader that turns an empty cell into None instead of an error."""

    def read_optional(cell: Any) -> Any:
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            return None
        return read(cell)

    return read_optional
