// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "api_error.h"

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
    int watchTimeoutSeconds = 0; ///< 0: a random 5–10 minutes, so many clients do not reconnect in step
    bool watch = true; ///< false: list once and stop (relistFinished is the end)
};

/// @brief Keeps a collection in sync: list in pages, then watch from the list's resourceVersion.
///
/// - A list is paged with `limit`/`continue` and no resourceVersion (a consistent read).
/// - A watch asks for bookmarks and resumes from the last event's or bookmark's resourceVersion
///   after the server ends it or the connection drops (with exponential backoff).
/// - 410 Expired, as an HTTP status or as an ERROR event inside the stream, starts a relist.
/// - While the connection is down the data a consumer holds is stale: staleChanged(true); it is
///   fresh again once a watch is open or a relist finished.
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
    /// First and largest wait between reconnects, in ms (defaults 250 and 30000).
    void setBackoff(int initialMs, int maxMs);

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
    void scheduleRetry(bool relistNext);
    void setStale(bool stale);
    void dropStream();

    QPointer<KubeClient> m_client;
    QString m_path;
    ListOptions m_options;
    QPointer<KubeReply> m_pageReply;
    QPointer<KubeStream> m_stream;
    QTimer m_retryTimer;
    QString m_resourceVersion;
    bool m_running = false;
    bool m_stale = false;
    bool m_synced = false;
    bool m_relistAfterClose = false;
    bool m_watchOpened = false;
    bool m_retryRelists = false;
    int m_initialBackoffMs = 250;
    int m_maxBackoffMs = 30000;
    int m_backoffMs = 250;
    int m_relists = 0;
    int m_reconnects = 0;
    int m_generation = 0;
};

} // namespace podtap::kube
