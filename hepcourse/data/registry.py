"""The one registry of public downloads: URLs, checksums, sizes, licence, citation; one fetch.

Every public file the course can download (opt-in: nothing is fetched at import or by the
default, generated datasets) is one `Download` in `DOWNLOADS`, keyed ``<dataset>/<file>``.
`fetch` is the only function that downloads: through pooch, into the cache
(``$HEPCOURSE_DATA/<subdir>/``), verified against the registry's checksum (or an explicit
``known_hash``), and never without one. ``data/registry.md`` at the top of the course is this
table in readable form, written by ``python -m hepcourse.data.registry > data/registry.md``
(a test checks that the two agree).

The readers (`public_toptagging`, `public_hls4ml`, `calochallenge`) read their files through
`fetch`. Checksums: Zenodo publishes an md5 per file; the values below are md5 sums that
independent public download code hard-codes identically for these files (they could not be
read off Zenodo here, offline); re-check them against ``https://zenodo.org/api/records/<id>``.
OpenML states an md5 in its JSON description of a data set; for 42468 none is recorded here,
so `public_hls4ml.fetch` takes the one OpenML states at download time.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

HASH_RE = re.compile(r"^(?:md5:[0-9a-f]{32}|sha1:[0-9a-f]{40}|sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128}|[0-9a-f]{64})$",
                     re.IGNORECASE)

TOP_TAGGING_CITATION = ("Kasieczka, Plehn, Thompson, Russel, \"Top Quark Tagging Reference Dataset\", "
                        "doi:10.5281/zenodo.2603256; Kasieczka, Plehn et al., \"The Machine Learning Landscape "
                        "of Top Taggers\", SciPost Phys. 7 (2019) 014, arXiv:1902.09914")
HLS4ML_CITATION = ("Pierini, Duarte, Tran, Freytsis, \"hls4ml LHC Jet dataset\", doi:10.5281/zenodo.3602254; "
                   "Duarte et al., JINST 13 (2018) P07027, arXiv:1804.06913; OpenML data set 42468")
CALOCHALLENGE_CITATION = ("Faucci Giannelli, Kasieczka, Krause, Nachman, Salamani, Shih, Zaborowska, \"Fast "
                          "Calorimeter Simulation Challenge 2022 - Dataset 2\", doi:10.5281/zenodo.6366270; "
                          "Krause et al., arXiv:2410.21611")
NOT_RECORDED = "not recorded here (see the record)"


@dataclass(frozen=True)
class Download:
    """One public file: where it is, how to check it, where it goes, and whose it is."""

    key: str  # "<dataset>/<file>"
    url: str  # may contain {file_id} where the address is only known at download time
    fname: str
    subdir: str  # below the cache directory
    known_hash: str | None  # "md5:..." / "sha256:..."; None: none recorded (fetch then needs one)
    size: int | None  # bytes; None: not recorded
    doi: str
    licence: str
    citation: str
    reader: str  # the hepcourse module that reads it


def _zenodo(record: str, fname: str) -> str:
    return f"https://zenodo.org/records/{record}/files/{fname}?download=1"


DOWNLOADS: dict[str, Download] = {d.key: d for d in [
    *(Download(f"top_tagging/{split}", _zenodo("2603256", f"{split}.h5"), f"{split}.h5", "public/toptagging",
               digest, size, "10.5281/zenodo.2603256", NOT_RECORDED, TOP_TAGGING_CITATION,
               "hepcourse.data.public_toptagging")
      for split, digest, size in [("train", "md5:45663819f47c13724f67eb0fd80bfa5c", 1_038_496_555),
                                  ("val", "md5:dca4b7248027618f041f9baa86d360fc", 347_378_076),
                                  ("test", "md5:13163479dee30a5fe546e4536cc3d04d", 347_849_376)]),
    Download("hls4ml/hls4ml_lhc_jets_hlf", "https://api.openml.org/data/v1/download/{file_id}",
             "hls4ml_lhc_jets_hlf.arff", "public/hls4ml", None, None, "10.5281/zenodo.3602254",
             NOT_RECORDED, HLS4ML_CITATION, "hepcourse.data.public_hls4ml"),
    *(Download(f"calochallenge/{name}", _zenodo("6366271", f"{name}.hdf5"), f"{name}.hdf5", "calochallenge",
               digest, size, "10.5281/zenodo.6366270", "CC-BY-4.0 (as stated on the record)",
               CALOCHALLENGE_CITATION, "hepcourse.data.calochallenge")
      for name, digest, size in [("dataset_2_1", "md5:e590333e9a2da51b258288d74bd8357a", 1_356_475_617),
                                 ("dataset_2_2", "md5:7a56fd68aa53ded37c2ac445694d9736", 1_366_708_391)]),
]}


def entries(prefix: str) -> dict[str, Download]:
    """The downloads of one dataset, keyed by file: ``entries("top_tagging")["val"]``."""
    return {key.split("/", 1)[1]: d for key, d in DOWNLOADS.items() if key.startswith(prefix + "/")}


def check_hash(digest: str | None, *, what: str, url: str, doi: str) -> str:
    """``digest`` normalised, or a ValueError: none at all (refuse to download unverified) or malformed."""
    if not digest:
        raise ValueError(f"no checksum for {what}: refusing to download {url} unverified. Look up the file's md5 "
                         f"on https://doi.org/{doi} and pass it as known_hash='md5:<32 hex digits>'.")
    if not HASH_RE.match(digest.strip()):
        raise ValueError(f"known_hash={digest!r} is not 'md5:<32 hex digits>' or 'sha256:<64 hex digits>': "
                         "not a checksum pooch can verify")
    return digest.strip().lower()


def fetch(key: str, *, known_hash: str | None = None, url: str | None = None,
          cache_dir: str | Path | None = None) -> Path:
    """Download one registered file once (pooch, verified) and return the path of the cached copy.

    ``known_hash`` and ``url`` override the registry's; ``cache_dir`` the folder
    (default ``<hepcourse.config.data_dir()>/<subdir>``).
    """
    if key not in DOWNLOADS:
        raise ValueError(f"unknown download {key!r}; registered: {sorted(DOWNLOADS)}")
    entry = DOWNLOADS[key]
    url = url or entry.url
    digest = check_hash(known_hash if known_hash is not None else entry.known_hash,
                        what=key, url=url, doi=entry.doi)
    import pooch

    from ..config import data_dir

    path = Path(cache_dir).expanduser() if cache_dir is not None else data_dir() / entry.subdir
    return Path(pooch.retrieve(url=url, known_hash=digest, fname=entry.fname, path=path,
                               progressbar=importlib.util.find_spec("tqdm") is not None))


def markdown() -> str:
    """The registry as ``data/registry.md``."""
    lines = ["# Download registry",
             "",
             "The public files that the course can download, written from `hepcourse/data/registry.py`",
             "(`python -m hepcourse.data.registry > data/registry.md`; a test checks that they agree).",
             "Downloads are opt-in (`source=\"public\"` or the readers' `fetch`), go through pooch into",
             "`$HEPCOURSE_DATA/<folder>/` and are verified against the checksum below; a file without one",
             "is never downloaded unless `known_hash=` is given.",
             "",
             "| key | file | folder | bytes | checksum | DOI | licence | reader |",
             "|---|---|---|---|---|---|---|---|"]
    for d in DOWNLOADS.values():
        size = f"{d.size:,}" if d.size is not None else "not recorded"
        digest = f"`{d.known_hash}`" if d.known_hash else "stated by OpenML at download time"
        lines.append(f"| `{d.key}` | [{d.fname}]({d.url}) | `{d.subdir}` | {size} | {digest} | "
                     f"[{d.doi}](https://doi.org/{d.doi}) | {d.licence} | `{d.reader}` |")
    lines += ["", "## Citations", ""]
    for citation in dict.fromkeys(d.citation for d in DOWNLOADS.values()):
        lines.append(f"- {citation}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
