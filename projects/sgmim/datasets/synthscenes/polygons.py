"""Binary mask -> COCO polygons that rasterise back to the same pixels.

COCO polygons cannot encode holes, so a mask with holes is first cut into
hole-free pieces: the mask is split at a column through a hole, which opens
that hole into the background of both halves; this repeats until no piece
has a hole.  Each piece's outer contours are traced on a ``SCALE``-times
nearest-upsampled copy and mapped back with ``x = (x_up + 0.5) / SCALE``,
which puts the vertices ``0.5 / SCALE`` px inside the pixel boundary
(pixel ``i`` covers ``[i, i + 1)``), so pycocotools' rasteriser recovers
the mask exactly.
"""
import cv2
import numpy as np

SCALE = 4


def _first_hole(mask):
    """Pixels of one enclosed background region (4-connected), or None."""
    count, labels = cv2.connectedComponents((mask == 0).astype(np.uint8),
                                            connectivity=4)
    border = np.unique(np.concatenate(
        [labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    for label in range(1, count):
        if label not in border:
            return labels == label
    return None


def hole_free_pieces(mask):
    """Split ``mask`` into column ranges whose pieces have no holes."""
    pending, pieces = [mask.astype(np.uint8)], []
    while pending:
        piece = pending.pop()
        hole = _first_hole(piece)
        if hole is None:
            pieces.append(piece)
            continue
        columns = np.nonzero(hole.any(axis=0))[0]
        cut = int(columns[len(columns) // 2])
        left, right = piece.copy(), piece.copy()
        left[:, cut:] = 0
        right[:, :cut] = 0
        pending.extend([right, left])
    return pieces


def mask_to_polygons(mask):
    """COCO ``segmentation`` polygons ``[[x0, y0, x1, y1, ...], ...]``.

    Contours with fewer than 3 vertices are dropped.
    """
    polygons = []
    for piece in hole_free_pieces(mask):
        upsampled = np.kron(piece, np.ones((SCALE, SCALE), np.uint8))
        contours, _ = cv2.findContours(upsampled, cv2.RETR_EXTERNAL,
                                       cv2.CHAIN_APPROX_SIMPLE)
        for contour in contours:
            points = contour.reshape(-1, 2)
            if len(points) >= 3:
                polygons.append(((points + 0.5) / SCALE).ravel().tolist())
    return polygons


def mask_bbox(mask):
    """``[x, y, w, h]`` of the tight pixel box (pixel ``i`` spans one unit)."""
    rows = np.nonzero(mask.any(axis=1))[0]
    cols = np.nonzero(mask.any(axis=0))[0]
    x0, y0 = int(cols[0]), int(rows[0])
    return [float(x0), float(y0), float(cols[-1] - x0 + 1),
            float(rows[-1] - y0 + 1)]
