"""colorama: ANSI codes and the stream wrapper."""

import colorama
from colorama import Fore, Style

colorama.just_fix_windows_console()
print(repr(Fore.RED + "red" + Style.RESET_ALL))
print(repr(colorama.Back.GREEN), repr(colorama.Cursor.UP(2)))
