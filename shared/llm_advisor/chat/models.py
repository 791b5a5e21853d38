"""What the chat service passes around: tool results with their citations, and the answer.

Rows are plain JSON values (money as decimal strings, times as ISO text) because they leave
the service three ways (API JSON, CLI, the LLM prompt) and the number check reads the same
text the user sees, so a figure cannot be formatted one way for the check and another way
for the reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

CitationKind = Literal[
    "trade", "daily_bias", "pnl_day", "position", "analysis", "signal", "features", "document"
]


@dataclass(frozen=True)
class Citation:
    """One stored record an answer used: ``kind`` names the table, ``id`` the row."""

    kind: str
    id: str
    date: date | None = None
    symbol: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "date": self.date.isoformat() if self.date else None,
            "symbol": self.symbol,
        }


@dataclass(frozen=True)
class RetrievedText:
    """Third-party or model-written text found by retrieval: data, never instructions."""

    kind: str
    record_id: str
    date: date | None
    symbol: str | None
    text: str


@dataclass
class ToolResult:
    """What one tool read: the rows (a table for the page), summary figures, citations."""

    tool: str
    columns: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    citations: list[Citation] = field(default_factory=list)
    texts: list[RetrievedText] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "columns": self.columns,
            "rows": self.rows,
            "facts": self.facts,
            "texts": [
                {"kind": t.kind, "id": t.record_id, "symbol": t.symbol, "text": t.text}
                for t in self.texts
            ],
        }


Answerer = Literal["deterministic", "llm", "fallback", "help"]


@dataclass
class ChatAnswer:
    answer: str
    citations: list[Citation]
    data: dict[str, Any]
    run_id: str
    answerer: Answerer = "deterministic"
    intent: str | None = None
    # Numbers of the answer text not found in the tool results (always [] when it leaves).
    unsupported_numbers: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "citations": [c.to_json() for c in self.citations],
            "data": self.data,
            "run_id": self.run_id,
            "answerer": self.answerer,
            "intent": self.intent,
        }
