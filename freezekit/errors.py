"""The one exception tree of freezekit. Library code raises; only cli.main catches."""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import ClassVar


class FreezekitError(Exception):
    """Base of every error freezekit raises: one line, plus an optional hint."""

    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class OptionsError(FreezekitError):
    """A bad flag, spec file, pyproject table or matrix file."""

    exit_code = 2


class AnalysisError(FreezekitError):
    """The import or binary analysis could not finish."""

    exit_code = 3


class ArchiveFormatError(FreezekitError):
    """An archive (PKG, PYZ, trailer) is malformed, truncated or not ours."""

    exit_code = 4


class AssembleError(FreezekitError):
    """The output could not be written (dist folder, bootloader missing, ...)."""

    exit_code = 5


class ToolchainError(FreezekitError):
    """A compiler, CMake or libzstd needed to build the bootloader is missing."""

    exit_code = 6


class SmokeError(FreezekitError):
    """A smoke probe failed or the executable is not a freezekit executable."""

    exit_code = 7


class PublishError(FreezekitError):
    """An artifact could not be published or a release could not be gathered."""

    exit_code = 8


class HostFileError(FreezekitError):
    """A file or folder of the build machine could not be read or written (permissions, a
    read-only or full disk, a file in the way): not a bug in freezekit, the path says where."""

    exit_code = 9
