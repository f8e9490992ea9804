"""Machine translation engines, behind one batch-first interface, chosen by the operator
(settings `translate_engine`, docs/translation.md):

- `none` (the default): no machine translation; pages say so.
- `libretranslate`: a LibreTranslate-compatible HTTP server the operator runs (POST
  /translate with `q` as a list), reached with a timeout; any failure is `Unavailable`.
- `argos`: Argos Translate (CTranslate2) models the operator installed from .argosmodel
  files into `translate_model_dir`; nothing is downloaded. Needs the optional extra
  `pip install 'fusioncell[argos]'`.

Every engine passes the glossary's tokens ("[0]") through untranslated as far as its
models allow; the caller checks which came back (fusioncell.language.glossary.restore).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Protocol

import httpx

from fusioncell.settings import Settings

NONE = "none"
UNAVAILABLE = "unavailable"
UNSUPPORTED = "unsupported"


class Unavailable(Exception):
    """The engine cannot translate now (down, slow, refused) or at all for this pair."""

    def __init__(self, detail: str, reason: str = UNAVAILABLE) -> None:
        super().__init__(detail)
        self.detail = detail
        self.reason = reason


class Engine(Protocol):
    name: str  # shown to readers: "machine translation (<name>)"
    key: str  # what the cache is keyed by (name and where it runs)

    def languages(self) -> list[tuple[str, str]] | None:
        """The (source, target) pairs it translates; None: not known without asking."""
        ...

    def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        """One call for many texts; raises Unavailable."""
        ...


class NoEngine:
    name = NONE
    key = NONE

    def languages(self) -> list[tuple[str, str]] | None:
        return []

    def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        raise Unavailable("no translation engine is configured", NONE)


class LibreTranslate:
    """A LibreTranslate-compatible server (LibreTranslate itself, or anything that speaks
    its /translate and /languages)."""

    name = "LibreTranslate"

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.key = f"libretranslate:{self.url}"
        self.api_key = api_key
        self.http = httpx.Client(timeout=timeout, transport=transport)

    def _post(self, path: str, payload: dict[str, Any]) -> Any:
        if self.api_key:
            payload = {**payload, "api_key": self.api_key}
        try:
            r = self.http.post(f"{self.url}{path}", json=payload)
        except httpx.TimeoutException:
            raise Unavailable("the translation server did not answer in time") from None
        except httpx.HTTPError as exc:
            raise Unavailable(
                f"the translation server is unreachable ({type(exc).__name__})"
            ) from None
        try:
            data = r.json()
        except ValueError:
            data = None
        if r.status_code != 200:
            why = data.get("error") if isinstance(data, dict) else None
            # LibreTranslate answers 400 "... is not supported" for a pair it lacks.
            unsupported = r.status_code == 400 and "support" in str(why or "")
            raise Unavailable(
                f"the translation server answered {r.status_code}: {str(why or '')[:200]}",
                UNSUPPORTED if unsupported else UNAVAILABLE,
            )
        return data

    def languages(self) -> list[tuple[str, str]] | None:
        try:
            r = self.http.get(f"{self.url}/languages")
            items = r.json() if r.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            return None
        if not isinstance(items, list):
            return None
        return [
            (str(i["code"]), str(t))
            for i in items
            if isinstance(i, dict) and "code" in i
            for t in i.get("targets", [])
        ]

    def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        if not texts:
            return []
        data = self._post(
            "/translate", {"q": texts, "source": source, "target": target, "format": "text"}
        )
        out = data.get("translatedText") if isinstance(data, dict) else None
        if isinstance(out, str) and len(texts) == 1:
            out = [out]
        if (
            not isinstance(out, list)
            or len(out) != len(texts)
            or not all(isinstance(t, str) for t in out)
        ):
            raise Unavailable("the translation server's answer is not a list of texts")
        return list(out)


class Argos:
    """Argos Translate models installed on this machine (see install_model)."""

    name = "Argos Translate"

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = model_dir
        self.key = f"argos:{model_dir}"
        self._lock = threading.Lock()

    def _library(self) -> Any:
        # The library reads its package directory when first imported.
        os.environ.setdefault("ARGOS_PACKAGES_DIR", str(self.model_dir))
        try:
            import argostranslate.translate as tr
        except ImportError:
            raise Unavailable(
                "the argostranslate package is not installed: pip install 'fusioncell[argos]'"
            ) from None
        return tr

    def languages(self) -> list[tuple[str, str]] | None:
        try:
            tr = self._library()
        except Unavailable:
            return []
        pairs = []
        for a in tr.get_installed_languages():
            for b in tr.get_installed_languages():
                if a.code != b.code and a.get_translation(b) is not None:
                    pairs.append((str(a.code), str(b.code)))
        return pairs

    def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        tr = self._library()
        with self._lock:  # the models are not safe to share between threads
            try:
                t = tr.get_translation_from_codes(source, target)
            except Exception:  # noqa: BLE001 - the library raises bare errors for a missing pair
                t = None
            if t is None:
                raise Unavailable(
                    f"no installed model translates {source} to {target}", UNSUPPORTED
                )
            return [str(t.translate(x)) for x in texts]


def install_model(path: Path, model_dir: Path) -> None:
    """Install an .argosmodel file the operator has into `model_dir` (no network)."""
    if not path.is_file():
        raise FileNotFoundError(path)
    model_dir.mkdir(parents=True, exist_ok=True)
    os.environ["ARGOS_PACKAGES_DIR"] = str(model_dir)
    import argostranslate.package as pkg

    pkg.install_from_path(path)


_ENGINES: dict[tuple[Any, ...], Engine] = {}
_LOCK = threading.Lock()


def engine_for(settings: Settings) -> Engine:
    """The operator's engine (one per configuration, kept for its connections)."""
    key = (
        settings.translate_engine,
        settings.translate_url,
        settings.translate_api_key.get_secret_value() if settings.translate_api_key else None,
        settings.translate_model_dir,
        settings.translate_timeout,
    )
    with _LOCK:
        found = _ENGINES.get(key)
        if found is None:
            found = _make(settings)
            _ENGINES[key] = found
        return found


def _make(settings: Settings) -> Engine:
    if settings.translate_engine == "libretranslate" and settings.translate_url:
        return LibreTranslate(
            settings.translate_url,
            settings.translate_api_key.get_secret_value() if settings.translate_api_key else None,
            settings.translate_timeout,
        )
    if settings.translate_engine == "argos":
        return Argos(settings.translate_model_dir or settings.data / "argos-models")
    return NoEngine()
