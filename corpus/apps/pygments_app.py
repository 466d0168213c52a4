"""pygments: lexers, formatters and styles found by name (and through entry points)."""

from pygments import highlight
from pygments.formatters import get_formatter_by_name
from pygments.lexers import get_lexer_by_name, guess_lexer_for_filename
from pygments.styles import get_style_by_name

code = 'fn main() { println!("hi"); }'
print(highlight(code, get_lexer_by_name("rust"), get_formatter_by_name("html", nowrap=True)))
print(guess_lexer_for_filename("x.kt", "fun main() {}").name, get_style_by_name("monokai").__name__)
print(
    highlight(
        "x = 1", get_lexer_by_name("python"), get_formatter_by_name("terminal256", style="dracula")
    ).encode()
)
