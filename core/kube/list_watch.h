// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "api_error.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QTimer>

namespace podtap::kube {

class KubeClient;
class KubeReply;
class KubeStream;

enum class WatchEventType { Added, Modified, Deleted };

/// @brief Which objects a ListWatch follows, and how.
struct ListOptions
{
    QString labelSelector;
    QString fieldSelector;
    int pageSize = 500; ///< `limit` of each list page
    int watchTimeoutSeconds = 0; ///< 0: a random 5–10 minutes, so many clients do not reconnect in step.
                                 ///< A watch silent for longer (plus a margin) is presumed dead and restarted.
    bool watch = true; ///< false: list once and stop (relistFinished is the end)
};

/// @brief Keeps a collection in sync: list in pages, then watch from the list's resourceVersion.
///
/// - A list is paged with `limit`/`continue` and no resourceVersion (a consistent read).
/// - A watch asks for bookmarks and resumes from the last event's or bookmark's resourceVersion
///   after the server ends it or the connection drops.
/// - 410 Expired, as an HTTP status or as an ERROR event inside the stream, starts a relist; so
///   does a watch event longer than the stream's line limit (it cannot be applied, so the state
///   would silently diverge).
/// - Back-off, as client-go's reflector does it: a watch is *healthy* once it delivered an event
///   or bookmark with a new resourceVersion and stayed open for half a second, or stayed open for
///   healthyWatchMs (default 5 s) anyway. After a healthy watch ends the
///   next one starts at once; every other restart (failed list, refused or short-lived watch,
///   ERROR event, 410 after a short watch) waits an exponential back-off with jitter (default
///   800 ms doubling to 30 s, plus up to half again), and only a healthy watch resets it. So a
///   server that accepts and closes every watch sees a handful of requests, not thousands.
/// - A watch that receives no byte for longer than its timeoutSeconds plus a margin is presumed
///   half-open and restarted.
/// - While the data a consumer holds may be missing changes it is stale: staleChanged(true) when
///   a list or watch fails or a watch ends before it was healthy; fresh again only once a watch
///   is healthy, so a misbehaving server leaves the data marked stale rather than flickering.
///
/// A relist emits relistStarted(), pageReceived() per page and relistFinished(); a consumer builds
/// its new state from the pages and swaps it in at relistFinished(). Nothing is kept here.
class ListWatch final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ListWatch)

public:
    /// @p collectionPath e.g. `/api/v1/pods` or `/api/v1/namespaces/NS/pods`.
    ListWatch(KubeClient *client, QString collectionPath, ListOptions options = {}, QObject *parent = nullptr);
    ~ListWatch() override;

    void start();
    void stop();
    bool isRunning() const { return m_running; }
    bool isStale() const { return m_stale; }
    bool isSynced() const { return m_synced; }
    QString resourceVersion() const { return m_resourceVersion; }
    const QString &collectionPath() const { return m_path; }
    int relistCount() const { return m_relists; }
    int reconnectCount() const { return m_reconnects; }
    /// First and largest wait between reconnects, in ms (defaults 800 and 30000).
    void setBackoff(int initialMs, int maxMs);
    /// How long a watch must stay open, without events, to count as healthy (default 5000 ms).
    void setHealthyWatchMs(int ms) { m_healthyWatchMs = ms; }
    /// The wait before the next retry, in ms, when one is scheduled (0 when none is).
    int retryDelayMs() const { return m_retryTimer.isActive() ? m_retryTimer.interval() : 0; }

Q_SIGNALS:
    void relistStarted();
    void pageReceived(const QJsonArray &items);
    void relistFinished(const QString &resourceVersion);
    void eventReceived(podtap::kube::WatchEventType type, const QJsonObject &object);
    void bookmarkReceived(const QString &resourceVersion);
    void watchOpened();
    void staleChanged(bool stale);
    void errorOccurred(const podtap::kube::ApiError &error);

private:
    void relist();
    void requestPage(const QString &continueToken);
    void onPage(KubeReply *reply);
    void startWatch();
    void onWatchLine(const QByteArray &line);
    void onWatchClosed(const ApiError &error);
    void onLineTooLong(qsizetype maxLineBytes);
    void markHealthy();
    /// After a watch ended: at once when it was healthy, else after the back-off.
    void restart(bool relistNext);
    void scheduleRetry(bool relistNext);
    void setStale(bool stale);
    void dropStream();

    QPointer<KubeClient> m_client;
    QString m_path;
    ListOptions m_options;
    QPointer<KubeReply> m_pageReply;
    QPointer<KubeStream> m_stream;
    QTimer m_retryTimer;
    QTimer m_healthyTimer; ///< marks an open watch healthy once it lived long enough
    QElapsedTimer m_watchAge; ///< since the current watch opened
    QString m_resourceVersion;
    bool m_running = false;
    bool m_stale = false;
    bool m_synced = false;
    bool m_relistAfterClose = false;
    bool m_watchOpened = false;
    bool m_retryRelists = false;
    bool m_watchHealthy = false; ///< the current (or just ended) watch proved itself
    int m_initialBackoffMs = 800;
    int m_maxBackoffMs = 30000;
    int m_backoffMs = 800;
    int m_healthyWatchMs = 5000;
    int m_relists = 0;
    int m_reconnects = 0;
    int m_generation = 0;
};

} // namespace podtap::kube
