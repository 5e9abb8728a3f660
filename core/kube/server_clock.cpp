// SPDX-License-Identifier: Apache-2.0
#include "kube/server_clock.h"

#include <QLocale>
#include <QTimeZone>

#include <chrono>

namespace podtap::kube {
namespace {

qint64 monotonicMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

} // namespace

QDateTime parseHttpDate(const QByteArray &value)
{
    const QString text = QString::fromLatin1(value).trimmed();
    // IMF-fixdate is what every current server sends (Go's net/http included); the obsolete RFC 850
    // and asctime forms are not worth reading for an age.
    QDateTime time = QLocale::c().toDateTime(text, QStringLiteral("ddd, dd MMM yyyy hh:mm:ss 'GMT'"));
    if (!time.isValid()) {
        return {};
    }
    time.setTimeZone(QTimeZone::utc());
    return time;
}

void ServerClock::observe(const QByteArray &dateHeader)
{
    const QDateTime server = parseHttpDate(dateHeader);
    if (!server.isValid()) {
        return;
    }
    // The header has whole seconds and was written before the reply travelled: the middle of its
    // second is the better guess of the server's time now.
    m_offsetMs.store(server.toMSecsSinceEpoch() + 500 - monotonicMs(), std::memory_order_relaxed);
    m_known.store(true, std::memory_order_release);
}

QDateTime ServerClock::now() const
{
    if (!isKnown()) {
        return QDateTime::currentDateTimeUtc();
    }
    return QDateTime::fromMSecsSinceEpoch(monotonicMs() + m_offsetMs.load(std::memory_order_relaxed), QTimeZone::utc());
}

qint64 ServerClock::skewMs() const
{
    return isKnown() ? now().toMSecsSinceEpoch() - QDateTime::currentMSecsSinceEpoch() : 0;
}

} // namespace podtap::kube
