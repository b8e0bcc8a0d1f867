"""How one document is decided: exact copy, verified near-duplicate, new story or new version
(the decision steps of the package docstring), on the query side of a :class:`DedupIndex`."""

from __future__ import annotations

import numpy as np
import xxhash

from .lsh import band_keys
from .params import DedupDecision, rounded
from .verify import EMPTY16, accept

__all__ = ["Decisions"]


class Decisions:
    """Mixin of :class:`crawler.dedup.index.DedupIndex`: the decision methods. They use its
    query-side arrays (``d_*`` per document slot, ``c_*`` per story slot), ``lsh``, ``lines``,
    ``ids`` and ``st`` (storage)."""

    def _decide(self, doc_id: str, t: int, th: int, nshingles: int, sig32: np.ndarray,
                line_keys: np.ndarray) -> DedupDecision:
        decision = self._decide_now(doc_id, t, th, nshingles, sig32, line_keys)
        if self.d_row.n >= self._compact_at:
            horizon = self.horizon()
            if horizon is not None and int(self.c_last.view.min()) < horizon:
                self.compact()  # some stories fell out of the window
            else:
                self._compact_at = 2 * self.d_row.n
        return decision

    def _decide_now(self, doc_id: str, t: int, th: int, nshingles: int, sig32: np.ndarray,
                    line_keys: np.ndarray) -> DedupDecision:
        sig16 = (sig32 & np.uint32(0xFFFF)).astype(np.uint16)
        if not nshingles:
            sig16[:] = EMPTY16
        size = min(nshingles, 65535)
        bkeys = band_keys(sig32, self.params.bands) if nshingles else np.empty(0, dtype=np.uint32)

        khash = xxhash.xxh64_intdigest(doc_id.encode("utf-8"))
        existing = self.st.buf_ids.get(doc_id)
        if existing is None and self.ids.maybe_seen(khash):
            existing = self.st.existing(doc_id)
        if existing is not None:
            return self._new_version(doc_id, existing[0], existing[1], t, th, sig16, size,
                                     bkeys, line_keys)
        cslot, nearest, jac, con, reason = self._find_story(t, th, sig16, size, bkeys)
        return self._add_document(doc_id, khash, t, th, sig16, size, bkeys, line_keys,
                                  cslot, nearest, jac, con, reason)

    def _find_story(self, t: int, th: int, sig16: np.ndarray, size: int, bkeys: np.ndarray):
        """The story a new document joins among its LSH candidates (an exact copy shares every
        band, so it is always among them). Returns (story slot or -1, nearest document slot,
        jaccard, containment, reason)."""
        if not len(bkeys):
            return -1, None, None, None, "new-story"
        cand = self.lsh.query(bkeys)
        if not len(cand):
            return -1, None, None, None, "new-story"
        # 1. exact duplicate of the normalised text (earliest copy first)
        for i in np.flatnonzero(self.d_hash.a[cand] == th).tolist():
            cs = int(self.d_cluster.a[cand[i]])
            if self._in_window(cs, t):
                return cs, int(cand[i]), 1.0, 1.0, "exact-text"
        # 2. verification against the stored signatures
        j, c, inter, small = self._similarity(cand, sig16, size)
        score = c + 0.01 * j
        ok = accept(self.params, j, c, inter, small)
        if ok.any():
            idx = np.nonzero(ok)[0]
            for i in idx[np.argsort(-score[idx], kind="stable")].tolist():
                cs = int(self.d_cluster.a[cand[i]])
                if self._in_window(cs, t) and self._anchor_ok(cs, sig16, size):
                    return cs, int(cand[i]), float(j[i]), float(c[i]), "near-duplicate"
        return -1, None, None, None, "new-story"

    def _add_document(self, doc_id, khash, t, th, sig16, size, bkeys, line_keys,
                      cslot, nearest, jac, con, reason) -> DedupDecision:
        """Append a new document to the query-side arrays and the write buffers, in story
        ``cslot`` (or a new story when it is -1)."""
        st = self.st
        row = self._next_doc
        self._next_doc += 1
        slot = self.d_row.append(row)
        self.d_sig.append(sig16)
        self.d_size.append(size)
        self.d_hash.append(th)
        previous = None
        if cslot < 0:
            cslot, cid = self._new_story(khash, slot, row, t)
            rep_slot = slot
        else:
            cid = int(self.c_row.a[cslot])
            previous_slot, rep_slot = self._update_rep(cslot, slot, row, t)
            if previous_slot is not None:
                previous = self._doc_ids(previous_slot)[0]
        self.d_cluster.append(cslot)
        st.buf_docs.append(
            (row, doc_id, cid, t, th, size, sig16.tobytes(), bkeys.tobytes(),
             None if nearest is None else int(self.d_row.a[nearest]), rounded(jac), rounded(con)))
        st.buf_ids[doc_id] = (row, cid)
        self.ids.mark(khash)
        st.buf_rows[row] = doc_id
        if len(bkeys):
            self.lsh.insert(bkeys, slot)
        self.lines.learn(line_keys, cid, self.params.boilerplate_clusters)
        self._tick()
        rep_id, nearest_id = self._doc_ids(None if rep_slot == slot else rep_slot, nearest)
        return DedupDecision(
            doc_id=doc_id, cluster_id=self._cluster_key(cslot),
            representative=doc_id if rep_slot == slot else rep_id,
            previous_representative=previous, nearest=nearest_id,
            jaccard=rounded(jac), containment=rounded(con), reason=reason)

    def _new_story(self, khash: int, slot: int, row: int, t: int) -> tuple[int, int]:
        """Open a story whose first member (anchor and representative) is document ``slot``."""
        cid = self._next_cluster
        self._next_cluster += 1
        cslot = self.c_row.append(cid)
        self.c_key.append(khash)
        self.c_anchor.append(slot)
        self.c_rep.append(slot)
        self.c_rep_time.append(t)
        self.c_last.append(t)
        self.st.buf_clusters.append((cid, self._cluster_key(cslot), row, row, t, t))
        return cslot, cid

    def _in_window(self, cslot: int, t: int) -> bool:
        return self.window is None or int(self.c_last.a[cslot]) >= t - self.window

    def _anchor_ok(self, cslot: int, sig16: np.ndarray, size: int) -> bool:
        """Drift guard: the newcomer must also resemble the story's first member."""
        anchor = int(self.c_anchor.a[cslot])
        if anchor < 0:
            return True
        j, c, _, _ = self._similarity(np.array([anchor]), sig16, size)
        return bool(c[0] >= self.params.anchor_containment or j[0] >= self.params.jaccard)

    def _update_rep(self, cslot: int, slot: int, row: int, t: int):
        """Make ``slot`` the representative if it was published earlier.

        Returns (previous representative slot or None, representative slot)."""
        previous = None
        cid = int(self.c_row.a[cslot])
        if t < int(self.c_rep_time.a[cslot]):
            previous = int(self.c_rep.a[cslot])
            self.c_rep.a[cslot] = slot
            self.c_rep_time.a[cslot] = t
            self.st.buf_cupd[cid] = None
        if t > int(self.c_last.a[cslot]):
            self.c_last.a[cslot] = t
            self.st.buf_cupd[cid] = None
        return previous, int(self.c_rep.a[cslot])

    def _new_version(self, doc_id, row, cid, t, th, sig16, size, bkeys, line_keys):
        self._write()
        slot = self._dslot(row)
        cslot = self._cslot(cid)
        nearest = jac = con = None
        if slot >= 0 and cslot >= 0:
            self.d_sig.a[slot] = sig16
            self.d_size.a[slot] = size
            self.d_hash.a[slot] = th
            # the most similar other member among the LSH candidates of the new text
            cand = self.lsh.query(bkeys) if len(bkeys) else np.empty(0, dtype=np.int32)
            members = cand[(self.d_cluster.a[cand] == cslot) & (cand != slot)]
            if len(members):
                j, c, _, _ = self._similarity(members, sig16, size)
                i = int(np.argmax(c + 0.01 * j))
                nearest, jac, con = int(members[i]), float(j[i]), float(c[i])
            if len(bkeys):
                self.lsh.insert(bkeys, slot)
        self.st.update_version(row, th, size, sig16.tobytes(), bkeys.astype(np.uint32).tobytes(),
                               None if nearest is None else int(self.d_row.a[nearest]), rounded(jac), rounded(con))
        previous = None
        if cslot >= 0 and slot >= 0:
            # the representative follows the earliest published date of the current versions
            if t != self.st.doc_time(row):
                self.st.set_time(row, t)
                prev_slot, _ = self._update_rep(cslot, slot, row, t)
                previous = self._doc_ids(prev_slot)[0] if prev_slot is not None else None
            rep = self._doc_id(int(self.c_rep.a[cslot]))
        else:
            rep = self.st.representative(cid)
        key = self.st.cluster_key(cid)
        self.lines.learn(line_keys, cid, self.params.boilerplate_clusters)
        self._tick()
        return DedupDecision(doc_id=doc_id, cluster_id=key, representative=rep,
                             previous_representative=previous,
                             nearest=self._doc_id(nearest) if nearest is not None else None,
                             jaccard=rounded(jac), containment=rounded(con), reason="new-version")
