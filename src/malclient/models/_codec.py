"""Bytes to models in one pass (msgspec, no intermediate dicts), and models back to MAL's JSON.

Pure: no I/O. One decoder per type, made on first use and kept.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any, TypeVar, overload

import msgspec

from malclient._exceptions import ResponseFormatError
from malclient.models.dates import PartialDate, TimeOfDay

__all__ = ["ResponseFormatError", "decode", "dump", "dump_json"]

T = TypeVar("T")


# Parsed dates by text. Lists repeat dates a lot (a 10,000-entry list: ~30,000 dates, ~10,000
# distinct), and PartialDate is immutable, so entries can share one object: faster, smaller.
_dates: dict[str, PartialDate] = {}
_DATES_KEPT = 50_000


def _dec_hook(kind: type, value: Any) -> Any:
    if isinstance(value, str):
        if kind is PartialDate:
            parsed = _dates.get(value)
            if parsed is None:
                parsed = PartialDate.parse(value)
                if len(_dates) >= _DATES_KEPT:
                    _dates.clear()
                _dates[value] = parsed
            return parsed
        if kind is TimeOfDay:
            return TimeOfDay.parse(value)
    raise NotImplementedError(f"cannot decode {kind.__name__} from {type(value).__name__}")


_decoders: dict[Any, msgspec.json.Decoder[Any]] = {}
_lock = threading.Lock()


def _decoder(kind: Any) -> msgspec.json.Decoder[Any]:
    decoder = _decoders.get(kind)
    if decoder is None:
        with _lock:
            decoder = _decoders.get(kind)
            if decoder is None:
                # strict=False: MAL sends some counts as strings ("24376", SPEC 5.1) where its
                # schema says integer; lax mode reads both as int.
                decoder = msgspec.json.Decoder(kind, dec_hook=_dec_hook, strict=False)
                _decoders[kind] = decoder
    return decoder


@overload
def decode(body: bytes | str, type: type[T]) -> T: ...
@overload
def decode(body: bytes | str, type: Any) -> Any: ...
def decode(body: bytes | str, type: Any) -> Any:
    """Parse a response body straight into `type` (a model, `Page[AnimeListEntry]`, ...).

    Raises ResponseFormatError when the body is not JSON (cut short?) or does not fit `type`.
    """
    try:
        return _decoder(type).decode(body)
    except msgspec.ValidationError as exc:
        name = getattr(type, "__name__", None) or repr(type)
        raise ResponseFormatError(
            f"MyAnimeList's answer does not fit {name}: {exc}. malclient may need an update."
        ) from None
    except msgspec.DecodeError:
        # Never quote the body: it may be a proxy's page, or cut short.
        raise ResponseFormatError(
            "MyAnimeList's answer is not valid JSON (cut short, or a proxy's page?)."
        ) from None


def _encode_custom(value: Any) -> Any:
    if isinstance(value, PartialDate | TimeOfDay):
        return str(value)
    raise NotImplementedError(f"cannot encode {type(value).__name__}")


def _mal_times(value: Any) -> Any:
    # msgspec writes UTC as `Z`; MAL writes `+00:00` (SPEC 3.7), which `isoformat` gives.
    if isinstance(value, dict):
        return {key: _mal_times(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mal_times(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def dump(model: Any) -> Any:
    """The model as plain JSON data in MAL's own form: absent fields stay absent, dates and
    times are MAL's strings. `dump(decode(body, T)) == json.loads(body)` for MAL's answers."""
    plain = msgspec.to_builtins(model, builtin_types=(datetime,), enc_hook=_encode_custom)
    return _mal_times(plain)


def dump_json(model: Any) -> bytes:
    """`dump` as compact UTF-8 JSON (an export format, not MAL's `\\/`-escaped bytes)."""
    return msgspec.json.encode(dump(model))
