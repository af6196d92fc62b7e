"""Find the mask generator a config's pipeline uses."""
from typing import Optional


def find_mask_generator(node) -> Optional[dict]:
    """The first transform config in ``node`` (a config, dataloader,
    dataset or pipeline, searched depth-first) whose type ends in
    ``MaskGenerator`` (``SimMIMMaskGenerator``,
    ``mmpretrain.SimMIMMaskGenerator``, ``SelectiveGuidanceMaskGenerator``);
    ``None`` if there is none."""
    if isinstance(node, dict):
        if str(node.get('type', '')).split('.')[-1].endswith(
                'MaskGenerator'):
            return node
        node = list(node.values())
    if isinstance(node, (list, tuple)):
        for item in node:
            found = find_mask_generator(item)
            if found is not None:
                return found
    return None
