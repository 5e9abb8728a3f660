// SPDX-License-Identifier: Apache-2.0
#include "list_watch.h"

#include "kube_client.h"

#include <QJsonDocument>
#include <QRandomGenerator>

namespace podtap::kube {

namespace {
/// A watch that delivered progress counts as healthy once it is this old (ms).
constexpr qint64 kProgressHealthyMs = 500;
} // namespace

ListWatch::ListWatch(KubeClient *client, QString collectionPath, ListOptions options, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_path(std::move(collectionPath))
    , m_options(std::move(options))
{
    m_retryTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, [this] {
        if (!m_running) {
            return;
        }
        if (m_retryRelists || m_resourceVersion.isEmpty()) {
            relist();
        } else {
            startWatch();
        }
    });
    m_healthyTimer.setSingleShot(true);
    connect(&m_healthyTimer, &QTimer::timeout, this, &ListWatch::markHealthy);
}

ListWatch::~ListWatch()
{
    stop();
}

void ListWatch::setBackoff(int initialMs, int maxMs)
{
    m_initialBackoffMs = initialMs;
    m_maxBackoffMs = maxMs;
    m_backoffMs = initialMs;
}

void ListWatch::start()
{
    if (m_running) {
        return;
    }
    m_running = true;
    m_backoffMs = m_initialBackoffMs;
    relist();
}

void ListWatch::stop()
{
    m_running = false;
    m_retryTimer.stop();
    m_healthyTimer.stop();
    ++m_generation;
    if (m_pageReply) {
        m_pageReply->deleteLater();
        m_pageReply = nullptr;
    }
    dropStream();
}

void ListWatch::dropStream()
{
    m_healthyTimer.stop();
    if (m_stream) {
        KubeStream *stream = m_stream;
        m_stream = nullptr;
        stream->disconnect(this);
        stream->deleteLater();
    }
}

void ListWatch::setStale(bool stale)
{
    if (m_stale != stale) {
        m_stale = stale;
        Q_EMIT staleChanged(stale);
    }
}

void ListWatch::relist()
{
    dropStream();
    ++m_relists;
    m_synced = false;
    m_resourceVersion.clear();
    Q_EMIT relistStarted();
    requestPage({});
}

void ListWatch::requestPage(const QString &continueToken)
{
    if (!m_client) {
        return;
    }
    QUrlQuery query;
    if (m_options.pageSize > 0) {
        query.addQueryItem(QStringLiteral("limit"), QString::number(m_options.pageSize));
    }
    if (!continueToken.isEmpty()) {
        query.addQueryItem(QStringLiteral("continue"), continueToken);
    }
    if (!m_options.labelSelector.isEmpty()) {
        query.addQueryItem(QStringLiteral("labelSelector"), m_options.labelSelector);
    }
    if (!m_options.fieldSelector.isEmpty()) {
        query.addQueryItem(QStringLiteral("fieldSelector"), m_options.fieldSelector);
    }
    KubeReply *reply = m_client->get(m_path, query);
    m_pageReply = reply;
    const int generation = m_generation;
    connect(reply, &KubeReply::finished, this, [this, reply, generation] {
        reply->deleteLater();
        if (generation == m_generation && m_running) {
            onPage(reply);
        }
    });
}

void ListWatch::onPage(KubeReply *reply)
{
    m_pageReply = nullptr;
    if (!reply->ok()) {
        const ApiError &error = reply->error();
        if (error.isExpired()) {
            // The continue token outlived the server's compaction window: start over.
            scheduleRetry(true);
            return;
        }
        setStale(true);
        Q_EMIT errorOccurred(error);
        scheduleRetry(true);
        return;
    }
    QJsonParseError parseError {};
    const QJsonDocument doc = QJsonDocument::fromJson(reply->body(), &parseError);
    if (!doc.isObject()) {
        ApiError error;
        error.kind = ApiError::Kind::Status;
        error.httpStatus = reply->httpStatus();
        error.message = QStringLiteral("listing %1: the server's answer is not a JSON list (%2). Check that the "
                                       "server is a Kubernetes API server.")
                            .arg(m_path, parseError.errorString());
        setStale(true);
        Q_EMIT errorOccurred(error);
        scheduleRetry(true);
        return;
    }
    const QJsonObject list = doc.object();
    const QJsonObject metadata = list.value(QLatin1String("metadata")).toObject();
    const QString continueToken = metadata.value(QLatin1String("continue")).toString();
    const QString resourceVersion = metadata.value(QLatin1String("resourceVersion")).toString();
    const int generation = m_generation;
    Q_EMIT pageReceived(list.value(QLatin1String("items")).toArray());
    if (generation != m_generation || !m_running) {
        return; // a receiver stopped us
    }
    if (!continueToken.isEmpty()) {
        requestPage(continueToken);
        return;
    }
    m_resourceVersion = resourceVersion;
    m_synced = true;
    if (!m_options.watch) {
        setStale(false); // a one-shot list is as fresh as it gets
    }
    // Otherwise neither the back-off nor staleness resets here: a server that lists fine but
    // breaks every watch must still be backed off from, and the data still misses changes.
    Q_EMIT relistFinished(resourceVersion);
    if (generation != m_generation || !m_running) {
        return;
    }
    if (m_options.watch) {
        startWatch();
    } else {
        m_running = false;
    }
}

void ListWatch::startWatch()
{
    if (!m_client || !m_running) {
        return;
    }
    dropStream();
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("watch"), QStringLiteral("true"));
    query.addQueryItem(QStringLiteral("allowWatchBookmarks"), QStringLiteral("true"));
    query.addQueryItem(QStringLiteral("resourceVersion"), m_resourceVersion);
    const int timeout = m_options.watchTimeoutSeconds > 0 ? m_options.watchTimeoutSeconds
                                                          : 300 + int(QRandomGenerator::global()->bounded(300));
    // The server ends the watch after `timeout`; silence well past that means the connection is gone.
    const int idleMarginSeconds = std::clamp(timeout / 10, 2, 30);
    query.addQueryItem(QStringLiteral("timeoutSeconds"), QString::number(timeout));
    if (!m_options.labelSelector.isEmpty()) {
        query.addQueryItem(QStringLiteral("labelSelector"), m_options.labelSelector);
    }
    if (!m_options.fieldSelector.isEmpty()) {
        query.addQueryItem(QStringLiteral("fieldSelector"), m_options.fieldSelector);
    }
    m_relistAfterClose = false;
    KubeStream *stream = m_client->stream(m_path, query);
    m_stream = stream;
    stream->setIdleTimeout((timeout + idleMarginSeconds) * 1000);
    m_watchOpened = false;
    m_watchHealthy = false;
    connect(stream, &KubeStream::opened, this, [this] {
        m_watchOpened = true;
        m_watchAge.start();
        m_healthyTimer.start(std::max(0, m_healthyWatchMs));
        Q_EMIT watchOpened();
    });
    connect(stream, &KubeStream::lineReceived, this, &ListWatch::onWatchLine);
    connect(stream, &KubeStream::lineTooLong, this, &ListWatch::onLineTooLong);
    connect(stream, &KubeStream::closed, this, &ListWatch::onWatchClosed);
}

void ListWatch::onWatchLine(const QByteArray &line)
{
    if (line.trimmed().isEmpty()) {
        return;
    }
    const QJsonObject event = QJsonDocument::fromJson(line).object();
    const QString type = event.value(QLatin1String("type")).toString();
    const QJsonObject object = event.value(QLatin1String("object")).toObject();
    if (type.isEmpty() || object.isEmpty()) {
        return; // not an event: ignore rather than trust it
    }
    const QString rv =
        object.value(QLatin1String("metadata")).toObject().value(QLatin1String("resourceVersion")).toString();
    if (type == QLatin1String("ERROR")) {
        const ApiError error = ApiError::fromStatusObject(0, object);
        m_relistAfterClose = error.isExpired();
        if (!m_relistAfterClose) {
            Q_EMIT errorOccurred(error);
        }
        // The server ends the stream after an ERROR; do not wait for it.
        if (m_stream) {
            m_stream->close();
        }
        return;
    }
    if (!rv.isEmpty()) {
        if (rv != m_resourceVersion && !m_watchHealthy) {
            // Progress: the watch works, once it also stayed open a moment. (Only new versions
            // count, so a server replaying the same event on every watch does not pass for
            // healthy; the moment keeps a server that replays a backlog and then closes the
            // watch at once from passing for healthy either.)
            const qint64 age = m_watchAge.isValid() ? m_watchAge.elapsed() : 0;
            if (age >= kProgressHealthyMs) {
                const int generation = m_generation;
                markHealthy();
                if (generation != m_generation) {
                    return;
                }
            } else if (m_healthyTimer.remainingTime() > kProgressHealthyMs - age) {
                m_healthyTimer.start(int(kProgressHealthyMs - age));
            }
        }
        m_resourceVersion = rv;
    }
    if (type == QLatin1String("BOOKMARK")) {
        Q_EMIT bookmarkReceived(rv);
        return;
    }
    WatchEventType eventType;
    if (type == QLatin1String("ADDED")) {
        eventType = WatchEventType::Added;
    } else if (type == QLatin1String("MODIFIED")) {
        eventType = WatchEventType::Modified;
    } else if (type == QLatin1String("DELETED")) {
        eventType = WatchEventType::Deleted;
    } else {
        return;
    }
    Q_EMIT eventReceived(eventType, object);
}

void ListWatch::markHealthy()
{
    m_healthyTimer.stop();
    if (m_watchHealthy || !m_stream) {
        return;
    }
    m_watchHealthy = true;
    m_backoffMs = m_initialBackoffMs;
    setStale(false);
}

void ListWatch::onLineTooLong(qsizetype maxLineBytes)
{
    // An event we could not read: the state now misses it, so only a relist can repair it.
    ApiError error;
    error.kind = ApiError::Kind::Status;
    error.reason = QStringLiteral("EventTooLarge");
    error.message = QStringLiteral("watching %1: the server sent an event longer than podtap's limit of %2 bytes; it "
                                   "cannot be applied, so the list is marked stale and fetched again. If this "
                                   "repeats, an object in the collection is unusually large.")
                        .arg(m_path)
                        .arg(maxLineBytes);
    const bool healthy = m_watchHealthy;
    dropStream();
    setStale(true);
    Q_EMIT errorOccurred(error);
    if (!m_running) {
        return;
    }
    m_watchHealthy = healthy;
    restart(true);
}

void ListWatch::onWatchClosed(const ApiError &error)
{
    m_healthyTimer.stop();
    if (m_stream) {
        m_stream->deleteLater();
        m_stream = nullptr;
    }
    if (!m_running) {
        return;
    }
    if (m_relistAfterClose || error.isExpired()) {
        // 410: the resourceVersion is gone, relist. At once after a healthy watch (the usual
        // compaction), else after the back-off: a server answering every watch with 410 must not
        // be relisted in a loop.
        m_relistAfterClose = false;
        if (!m_watchHealthy) {
            setStale(true);
        }
        restart(true);
        return;
    }
    if (error.isError()) {
        setStale(true);
        Q_EMIT errorOccurred(error);
        restart(false);
        return;
    }
    if (!m_watchHealthy) {
        // Ended cleanly before it delivered anything or lived a while: the server is not
        // serving watches properly (or an ERROR event ended it). Back off.
        setStale(true);
    }
    restart(false);
}

void ListWatch::restart(bool relistNext)
{
    if (m_watchHealthy) {
        // The server ended a watch that worked (its timeout, compaction, a dropped connection):
        // resume at once, as the reflector does.
        m_watchHealthy = false;
        ++m_reconnects;
        if (relistNext) {
            relist();
        } else {
            startWatch();
        }
        return;
    }
    scheduleRetry(relistNext);
}

void ListWatch::scheduleRetry(bool relistNext)
{
    ++m_reconnects;
    m_retryRelists = relistNext;
    // Jitter spreads many clients (or many watches of one client) that failed together.
    const int base = std::max(0, m_backoffMs);
    const int jitter = int(QRandomGenerator::global()->bounded(base / 2 + 1));
    m_retryTimer.start(base + jitter);
    m_backoffMs = std::min(std::max(1, base) * 2, std::max(m_maxBackoffMs, m_initialBackoffMs));
}

} // namespace podtap::kube
