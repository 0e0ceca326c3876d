"""Early, clear errors for a training config that contradicts itself, before anything is built.

:func:`check_train_pipeline` catches a ``GenerateTarget`` whose encoder differs from the head's
decoder: the stale-pipeline trap of a child config that redefines ``codec`` but not the
training pipeline, which captured the old codec when the base file was read.
``tools/train.py`` runs it on the config. The checks of the built heads (decoder, test
settings, targets) live with the heads, in :mod:`h3r_mmpose.models.heads.head_checks`.
"""

from mmengine.config import Config


def _codec_key(codec: dict) -> tuple:
    """What an encoder and a decoder must share: the type and the two sizes."""
    return (
        codec.get('type'),
        tuple(codec.get('input_size') or ()),
        tuple(codec.get('heatmap_size') or ()),
    )


def check_train_pipeline(cfg: Config) -> None:
    """Refuse a training pipeline whose ``GenerateTarget`` encoder differs from the decoder.

    Only configs whose ``model.head`` is an ``H3RHead`` with a decoder, and whose training
    dataset lists its pipeline, are checked; ``GenerateTarget`` steps with several encoders
    (multi-target heads) are left alone.

    Args:
        cfg (Config): a full training config.

    Raises:
        ValueError: naming both codecs, for an encoder of another type or another
            ``input_size`` / ``heatmap_size``.
    """
    head = cfg.get('model', {}).get('head') or {}
    decoder = head.get('decoder')
    dataset = (cfg.get('train_dataloader') or {}).get('dataset') or {}
    if head.get('type') != 'H3RHead' or not isinstance(decoder, dict):
        return
    for step in dataset.get('pipeline') or []:
        encoder = step.get('encoder')
        if step.get('type') != 'GenerateTarget' or not isinstance(encoder, dict):
            continue
        if _codec_key(encoder) != _codec_key(decoder):
            raise ValueError(
                f"train_dataloader.dataset.pipeline's GenerateTarget encoder "
                f'{dict(encoder)} differs from model.head.decoder {dict(decoder)}: the '
                'training targets would not be what the head learns to decode. A child config '
                'that redefines `codec` must also rebuild the training pipeline, e.g. '
                "[dict(type='GenerateTarget', encoder=codec) if step['type'] == "
                "'GenerateTarget' else step for step in _base_.train_pipeline]"
            )
