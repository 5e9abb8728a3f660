// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QByteArray>
#include <QByteArrayList>

namespace podtap::kube {

/// @brief Cuts a byte stream into newline-terminated lines, however the reads split it.
///
/// A watch or log stream arrives in arbitrary chunks: one line may span several reads and one
/// read may carry several lines. Lines are returned without their `\n` (and without a trailing `\r`).
class LineFramer final
{
public:
    /// @p maxLineBytes bounds a line that never ends, so a hostile server cannot grow memory forever.
    explicit LineFramer(qsizetype maxLineBytes = 64 * 1024 * 1024);

    /// Appends @p chunk and returns every line it completed.
    QByteArrayList append(const QByteArray &chunk);
    /// The unterminated rest, returned once at end of stream (a log's last line may lack `\n`).
    QByteArray takeRemainder();
    qsizetype pendingBytes() const { return m_pending.size(); }
    /// True when a line exceeded the limit (it was dropped).
    bool overflowed() const { return m_overflowed; }
    /// How many lines were dropped for exceeding the limit, so a reader can tell a new drop from an old one.
    qsizetype droppedLines() const { return m_droppedLines; }
    qsizetype maxLineBytes() const { return m_maxLineBytes; }
    /// Changes the limit for lines not yet complete.
    void setMaxLineBytes(qsizetype maxLineBytes) { m_maxLineBytes = maxLineBytes; }

private:
    QByteArray m_pending;
    qsizetype m_maxLineBytes;
    qsizetype m_droppedLines = 0;
    bool m_overflowed = false;
    bool m_discarding = false;
};

} // namespace podtap::kube
