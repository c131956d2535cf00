"""The training-example contract (pure Python, no torch): schema, rendering to ids + loss mask, snapshot I/O.

The platform's exporter imports this package to write dataset snapshots; the trainer imports it to read them.
The contract is documented in docs/dataset-format.md and versioned by `FORMAT_VERSION`.
"""

from training.format.render import (
    Rendered,
    render_discriminator_prompt,
    render_discriminator_suffix,
    render_example,
    render_generation_prompt,
    render_research_prompt,
)
from training.format.schema import (
    ATTRIBUTES,
    FORMAT_VERSION,
    KINDS,
    DiscriminativeExample,
    Example,
    GenerativeExample,
    ResearchExample,
    ResearchStep,
    example_from_dict,
    example_to_dict,
)
from training.format.specials import SPECIAL_TOKENS, DatasetError

__all__ = [
    "ATTRIBUTES",
    "FORMAT_VERSION",
    "KINDS",
    "SPECIAL_TOKENS",
    "DatasetError",
    "DiscriminativeExample",
    "Example",
    "GenerativeExample",
    "Rendered",
    "ResearchExample",
    "ResearchStep",
    "example_from_dict",
    "example_to_dict",
    "render_discriminator_prompt",
    "render_discriminator_suffix",
    "render_example",
    "render_generation_prompt",
    "render_research_prompt",
]
