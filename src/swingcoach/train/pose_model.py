"""The student pose network: MobileHumanPose-style, for COCO-17 from a person crop.

- Encoder: MobileNetV2 inverted residual blocks with a width multiplier. The activation is ReLU by
  default, PReLU (MobileHumanPose's choice) as an option: measured on this CPU, the width-0.5 network
  with PReLU runs 2x slower on LiteRT (litert-torch lowers PReLU to five element-wise ops) and 20x
  slower on onnxruntime (its PRelu kernel is not fused into the convolution), while ReLU fuses into
  every convolution in both runtimes and in their int8 kernels.
- Decoder: three x2 upsampling stages, each concatenated with the encoder feature of the same
  stride (skip concatenation) and fused by a depthwise-separable convolution, down to stride 4.
- Heads: 17 heatmap logits at stride 4 (48x48 for the 192 px input), decoded by integral regression
  (soft-argmax) outside the network; 17 visibility logits from the pooled deepest feature.

Input: (B, H, W, 3) RGB in [0, 1], channels last like the camera frame and the TFLite convention,
so every exported format takes the same array.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from swingcoach.pose.skeleton import NUM_KEYPOINTS

# (expansion, channels, repeats, stride) of MobileNetV2 up to its last 320-channel block.
ENCODER_STAGES = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2))
LAST_CHANNELS = 320
SKIP_STRIDES = (4, 8, 16)
DECODER_CHANNELS = (128, 64, 48)  # after fusing with the stride 16, 8 and 4 features


def make_divisible(value: float, divisor: int = 8) -> int:
    """MobileNet's channel rounding: to a multiple of `divisor`, never more than 10% below `value`."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


ACTIVATIONS = ("relu", "prelu")


@dataclass(frozen=True)
class StudentConfig:
    width: float = 0.5
    input_size: int = 192
    activation: str = "relu"

    @property
    def heatmap_size(self) -> int:
        return self.input_size // SKIP_STRIDES[0]

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def conv_bn(
    cin: int, cout: int, kernel: int = 1, stride: int = 1, groups: int = 1, activation: str | None = "relu"
) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
    ]
    if activation == "relu":
        layers.append(nn.ReLU(inplace=True))
    elif activation == "prelu":
        layers.append(nn.PReLU(cout))
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expansion: int, activation: str) -> None:
        super().__init__()
        hidden = cin * expansion
        layers = [] if expansion == 1 else [conv_bn(cin, hidden, activation=activation)]
        layers += [
            conv_bn(hidden, hidden, 3, stride, groups=hidden, activation=activation),
            conv_bn(hidden, cout, activation=None),
        ]
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x) if self.residual else self.block(x)


class FuseUp(nn.Module):
    """x2 upsampling, concatenation with the skip feature, depthwise-separable fusion."""

    def __init__(self, cin: int, cskip: int, cout: int, activation: str) -> None:
        super().__init__()
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        channels = cin + cskip
        self.fuse = nn.Sequential(
            conv_bn(channels, channels, 3, groups=channels, activation=activation),
            conv_bn(channels, cout, activation=activation),
        )

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return self.fuse(torch.cat([self.up(x), skip], dim=1))


class StudentPoseNet(nn.Module):
    def __init__(self, config: StudentConfig) -> None:
        super().__init__()
        self.config = config
        if config.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {config.activation!r}")
        width, activation = config.width, config.activation
        channels = make_divisible(32 * width)
        self.stem = conv_bn(3, channels, 3, 2, activation=activation)
        self.stages = nn.ModuleList()
        skip_channels = {}
        self.stage_strides = []
        stride = 2
        for expansion, base, repeats, first_stride in ENCODER_STAGES:
            out = make_divisible(base * width)
            blocks = [
                InvertedResidual(
                    channels if i == 0 else out, out, first_stride if i == 0 else 1, expansion, activation
                )
                for i in range(repeats)
            ]
            self.stages.append(nn.Sequential(*blocks))
            channels, stride = out, stride * first_stride
            self.stage_strides.append(stride)
            skip_channels[stride] = out  # the last stage of each stride is the skip
        deepest = make_divisible(LAST_CHANNELS * width)
        self.last = InvertedResidual(channels, deepest, 1, 6, activation)
        decoder = [make_divisible(c * width) for c in DECODER_CHANNELS]
        ups = []
        cin = deepest
        for skip_stride, cout in zip(reversed(SKIP_STRIDES), decoder, strict=True):
            ups.append(FuseUp(cin, skip_channels[skip_stride], cout, activation))
            cin = cout
        self.ups = nn.ModuleList(ups)
        self.heatmaps = nn.Conv2d(cin, NUM_KEYPOINTS, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)  # rather than mean(): the int8 quantizers know this op
        self.visibility = nn.Linear(deepest, NUM_KEYPOINTS)
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1), persistent=False)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, H, W, 3) in [0, 1] -> heatmap logits (B, 17, H/4, W/4), visibility logits (B, 17)."""
        x = (image.permute(0, 3, 1, 2) - self.mean) / self.std
        x = self.stem(x)
        skips = {}
        for stage, stride in zip(self.stages, self.stage_strides, strict=True):
            x = stage(x)
            skips[stride] = x
        x = self.last(x)
        visibility = self.visibility(torch.flatten(self.pool(x), 1))
        for up, skip_stride in zip(self.ups, reversed(SKIP_STRIDES), strict=True):
            x = up(x, skips[skip_stride])
        return self.heatmaps(x), visibility


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
