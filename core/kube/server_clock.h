// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QByteArray>
#include <QDateTime>

#include <atomic>

namespace podtap::kube {

/// Parses an HTTP `Date` header (RFC 9110 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT").
/// Invalid when it is not one.
QDateTime parseHttpDate(const QByteArray &value);

/// @brief The API server's idea of "now", learnt from the `Date` header of its replies.
///
/// Heartbeat annotations are written and aged on this clock, so a console whose clock is a day
/// off neither reaps a live session nor keeps a dead one. The offset to this machine's monotonic
/// clock is kept in one atomic, so reading it from another thread is safe, and a jump of the local
/// wall clock after the last reply does not move it. Resolution: the header's whole seconds.
class ServerClock final
{
public:
    /// Records the server's time from a reply's `Date` header; ignores anything unparsable.
    void observe(const QByteArray &dateHeader);
    /// True once a reply carried a usable `Date` header.
    bool isKnown() const { return m_known.load(std::memory_order_acquire); }
    /// The server's current time (UTC); this machine's clock until a `Date` header was seen.
    QDateTime now() const;
    /// Server time minus local wall-clock time, in ms (0 until known): for messages about skew.
    qint64 skewMs() const;

private:
    std::atomic<qint64> m_offsetMs {0}; ///< server epoch ms minus local monotonic ms
    std::atomic<bool> m_known {false};
};

} // namespace podtap::kube
