"""torchvision.datasets: MNIST family, CIFAR, folder datasets and FakeData."""

from .cifar import CIFAR10, CIFAR100
from .fakedata import FakeData
from .folder import DatasetFolder, ImageFolder
from .mnist import KMNIST, MNIST, FashionMNIST
from .vision import VisionDataset

__all__ = [
    "MNIST",
    "FashionMNIST",
    "KMNIST",
    "CIFAR10",
    "CIFAR100",
    "DatasetFolder",
    "ImageFolder",
    "FakeData",
    "VisionDataset",
]
