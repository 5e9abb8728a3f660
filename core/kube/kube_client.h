// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "api_error.h"
#include "line_framer.h"
#include "rest_config.h"
#include "server_clock.h"

#include <QJsonObject>
#include <QList>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QObject>
#include <QPointer>
#include <QSslConfiguration>
#include <QStringList>
#include <QTimer>
#include <QUrlQuery>

#include <functional>
#include <optional>

class QNetworkAccessManager;

namespace podtap::kube {

/// @brief One API request: verb, path, query and an optional body.
struct KubeRequest
{
    QByteArray verb = QByteArrayLiteral("GET");
    QString path; ///< e.g. /api/v1/namespaces/default/pods
    QUrlQuery query;
    QByteArray body;
    QByteArray contentType; ///< defaults to application/json when a body is set
    QByteArray accept = QByteArrayLiteral("application/json");
};

/// @brief The answer to one non-streaming request. Emits finished() exactly once.
class KubeReply final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KubeReply)

public:
    explicit KubeReply(QObject *parent = nullptr);

    bool isFinished() const { return m_finished; }
    int httpStatus() const { return m_httpStatus; }
    const QByteArray &body() const { return m_body; }
    /// The body as a JSON object (parsed on first use); empty when it is not one.
    QJsonObject json() const;
    const ApiError &error() const { return m_error; }
    bool ok() const { return m_finished && !m_error.isError(); }
    /// The server's `Warning:` headers (deprecations, PodSecurity warn mode, ...), text only.
    const QStringList &warnings() const { return m_warnings; }

    /// Runs @p callback (in this reply's context) once finished, or at once if already finished.
    void onFinished(QObject *context, std::function<void(KubeReply *)> callback);

Q_SIGNALS:
    void finished();

private:
    friend class KubeClient;
    void finish(int httpStatus, QByteArray body, ApiError error, QStringList warnings);

    bool m_finished = false;
    int m_httpStatus = 0;
    QByteArray m_body;
    mutable std::optional<QJsonObject> m_json;
    ApiError m_error;
    QStringList m_warnings;
};

/// @brief A long-lived response read line by line: a watch or a followed log.
///
/// opened() once the server accepted it (2xx headers), lineReceived() per line, then closed()
/// exactly once: with no error when the server ended the stream cleanly, else with the reason.
class KubeStream final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KubeStream)

public:
    explicit KubeStream(QObject *parent = nullptr);
    ~KubeStream() override;

    bool isOpen() const { return m_open; }
    bool isClosed() const { return m_closed; }
    int httpStatus() const { return m_httpStatus; }
    const QStringList &warnings() const { return m_warnings; }
    /// Stops reading; emits closed() with no error if not closed yet.
    void close();
    /// Closes the stream with a Network error when no byte arrived for @p ms (0: never, the
    /// default). Qt offers no TCP keepalive knob on requests, so this is how a half-open
    /// connection (a peer that vanished without a FIN) is noticed.
    void setIdleTimeout(int ms);
    int idleTimeout() const { return m_idleTimeoutMs; }
    /// The longest line delivered; longer ones are dropped and reported by lineTooLong().
    qsizetype maxLineBytes() const { return m_framer.maxLineBytes(); }

Q_SIGNALS:
    void opened();
    void lineReceived(const QByteArray &line);
    /// A line longer than maxLineBytes() was dropped (the stream goes on with the next line).
    void lineTooLong(qsizetype maxLineBytes);
    void closed(const podtap::kube::ApiError &error);

private:
    friend class KubeClient;
    void attach(QNetworkReply *reply);
    void onReadyRead();
    void onFinished();
    void onIdle();

    QPointer<QNetworkReply> m_reply;
    QTimer *m_idleTimer = nullptr;
    int m_idleTimeoutMs = 0;
    QString m_operation; ///< e.g. "watch /api/v1/pods", for errors
    LineFramer m_framer;
    QByteArray m_errorBody;
    QStringList m_warnings;
    int m_httpStatus = 0;
    bool m_open = false;
    bool m_closed = false;
    bool m_retriedAuth = false;
    std::function<bool(KubeStream *, int)> m_retry; ///< set by the client: retry once on 401
    std::function<ApiError(QNetworkReply *)> m_transportError;
};

/// @brief Kubernetes REST + streaming client over QNetworkAccessManager, built from a RestConfig.
///
/// TLS, proxy and credentials come from the RestConfig. Ordinary requests and long-lived streams
/// (watches, followed logs) use separate network managers, so ordinary requests are never queued
/// behind the per-host connection limit that open streams hold.
class KubeClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KubeClient)

public:
    /// Receives an exec credential, or nullopt and the reason there is none.
    using CredentialCallback = std::function<void(std::optional<ExecCredential> credential, const QString &error)>;
    /// Fetches a credential from an exec plugin and calls @p done, at once or later (in the client's
    /// thread). @p refresh: the one the client held was refused (401) or expired.
    using CredentialProvider = std::function<void(bool refresh, CredentialCallback done)>;

    enum class PatchType { Merge, StrategicMerge, Json };

    /// @brief A request for a connection the client does not make itself (a WebSocket upgrade for
    /// pods/exec), carrying the same TLS, credentials, impersonation headers and proxy as its own.
    struct UpgradeRequest
    {
        QNetworkRequest request; ///< URL (http/https scheme), User-Agent, Authorization, Impersonate-*
        QSslConfiguration ssl; ///< CA, client identity (also an exec plugin's), verify mode
        QNetworkProxy proxy; ///< the kubeconfig's proxy-url, or NoProxy
        QString tlsServerName; ///< the kubeconfig's tls-server-name (empty: the URL's host)
        int credentialGeneration = 0; ///< pass to prepareUpgrade() again after a 401
    };
    using UpgradeCallback = std::function<void(const UpgradeRequest &request, const ApiError &error)>;

    explicit KubeClient(RestConfig config, QObject *parent = nullptr);
    ~KubeClient() override;

    const RestConfig &config() const { return m_config; }
    /// True when the kubeconfig turned certificate verification off: a UI must warn about it.
    bool isInsecure() const { return m_config.insecureSkipTlsVerify; }
    /// Set when the RestConfig itself is unusable (unparsable key or CA); every request then fails with it.
    const ApiError &configError() const { return m_configError; }

    /// Supplies exec credentials (the kubeconfig's `exec` user). Without one, an exec user gets a
    /// Config error naming the plugin. Requests and streams wait for the credential without
    /// blocking; one fetch serves all that wait, and a 401 fetches a new one once, however many
    /// requests it refused.
    void setCredentialProvider(CredentialProvider provider);
    /// Transfer timeout of ordinary requests in ms (default 30000); streams have none (a watch
    /// sets an idle timeout instead: KubeStream::setIdleTimeout).
    void setRequestTimeout(int ms) { m_requestTimeoutMs = ms; }
    int requestTimeout() const { return m_requestTimeoutMs; }
    /// Largest body of an ordinary reply (default 2 GiB, far above an unpaged list of 100k pods); a
    /// larger reply is cut off and fails with an error naming the limit, so a hostile or broken
    /// server cannot grow memory without end.
    void setMaxResponseBytes(qint64 bytes) { m_maxResponseBytes = bytes; }
    qint64 maxResponseBytes() const { return m_maxResponseBytes; }
    /// Longest line a stream delivers (default 64 MiB; one watch event is a whole object, and the
    /// API server stores at most about 1.5 MiB per object). Longer lines are dropped and reported
    /// with KubeStream::lineTooLong(). Applies to streams opened afterwards.
    void setMaxStreamLineBytes(qint64 bytes) { m_maxStreamLineBytes = bytes; }
    qint64 maxStreamLineBytes() const { return m_maxStreamLineBytes; }

    KubeReply *send(const KubeRequest &request);
    KubeReply *get(const QString &path, const QUrlQuery &query = {});
    /// POST @p object; @p dryRun adds `dryRun=All` (admission runs, nothing is stored).
    KubeReply *create(const QString &collectionPath, const QJsonObject &object, bool dryRun = false);
    KubeReply *patch(
        const QString &path, const QJsonObject &patch, PatchType type = PatchType::Merge, bool dryRun = false);
    /// DELETE with a DeleteOptions body; @p gracePeriodSeconds < 0 leaves it to the server.
    KubeReply *remove(const QString &path, int gracePeriodSeconds = -1, bool dryRun = false);
    /// POSTs a SelfSubjectAccessReview for the attributes (verb, resource, namespace, subresource,
    /// group, name). The reply's json() holds `status.allowed`, `status.reason`.
    KubeReply *selfSubjectAccessReview(const QString &verb, const QString &resource, const QString &namespaceName,
        const QString &subresource = {}, const QString &group = {}, const QString &name = {});

    /// Opens a stream (GET, no transfer timeout) read line by line.
    KubeStream *stream(const QString &path, const QUrlQuery &query = {});
    /// Follows pods/log. @p tailLines < 0: the whole log.
    KubeStream *followLog(const QString &namespaceName, const QString &pod, const QString &container = {},
        int tailLines = -1, bool follow = true);

    /// Builds the request for a connection made elsewhere (a WebSocket) once an exec credential is at
    /// hand, and calls @p ready (while @p context lives) with it, or with the reason there is none.
    /// @p refusedGeneration: the UpgradeRequest::credentialGeneration a 401 refused (fetch a newer one).
    void prepareUpgrade(QObject *context, const QString &path, const QUrlQuery &query, UpgradeCallback ready,
        int refusedGeneration = -1);
    /// After a 401: true when asking again may succeed, because an exec plugin can fetch a new
    /// credential or the token file changed. Callers retry once, as kubectl does.
    bool mayRetryUnauthorized();
    /// A transport failure (no HTTP answer) explained with its fix, naming the server and context.
    ApiError transportError(
        QNetworkReply::NetworkError code, const QString &errorString, const QStringList &sslErrors = {}) const;

    /// Builds `/api/v1[/namespaces/NS]/RESOURCE[/NAME]` (core group only).
    static QString corePath(const QString &resource, const QString &namespaceName = {}, const QString &name = {});

    /// The API server's current time, from the `Date` header of its last reply (this machine's
    /// clock until one arrived). Heartbeats are written and aged on it, never on the local clock.
    QDateTime serverNow() const { return m_serverClock.now(); }
    const ServerClock &serverClock() const { return m_serverClock; }

    /// Network managers currently used for streams (tests use it to see streams spread out).
    int streamManagerCount() const { return int(m_streamManagers.size()); }

Q_SIGNALS:
    /// A `Warning:` header on any reply.
    void warningReceived(const QString &warning);

private:
    struct StreamManager
    {
        QNetworkAccessManager *manager = nullptr;
        int streams = 0;
    };

    QNetworkRequest buildRequest(const QString &path, const QUrlQuery &query, bool streaming);
    bool applyCredentials(QNetworkRequest &request, QSslConfiguration &ssl, ApiError *error);
    /// buildRequest() + the client's TLS and credentials; the config or credential error otherwise.
    ApiError authorizedRequest(
        const QString &path, const QUrlQuery &query, bool streaming, QNetworkRequest *request, QSslConfiguration *ssl);
    QNetworkProxy proxy() const;
    /// Runs @p then (while @p context lives) once an exec credential is at hand: at once when one is
    /// fresh or none is needed. @p refusedGeneration: the generation a 401 refused; fetch a newer one.
    void withCredential(QObject *context, std::function<void()> then, int refusedGeneration = -1);
    bool refreshTokenFile(); ///< after a 401: true if the token file changed and a retry makes sense
    QNetworkReply *dispatch(
        QNetworkAccessManager *manager, const QNetworkRequest &request, const QByteArray &verb, const QByteArray &body);
    void startRequest(KubeReply *reply, const KubeRequest &request, bool retried, int refusedGeneration = -1);
    void sendRequest(KubeReply *reply, const KubeRequest &request, bool retried);
    bool openStream(KubeStream *stream, const QString &path, const QUrlQuery &query, int refusedGeneration = -1,
        bool credentialReady = false);
    QNetworkAccessManager *acquireStreamManager();
    void releaseStreamManager(QNetworkAccessManager *manager);
    ApiError transportError(QNetworkReply *reply) const;
    QStringList collectWarnings(QNetworkReply *reply);
    QNetworkAccessManager *createManager();

    RestConfig m_config;
    ApiError m_configError;
    QSslConfiguration m_ssl;
    CredentialProvider m_credentialProvider;
    std::optional<ExecCredential> m_execCredential;
    QString m_execCredentialError; ///< why the last fetch brought none
    int m_credentialGeneration = 0; ///< counts fetches: a 401 on an older one needs no new fetch
    bool m_fetchingCredential = false;
    QList<QPair<QPointer<QObject>, std::function<void()>>> m_credentialWaiters;
    int m_requestTimeoutMs = 30000;
    qint64 m_maxResponseBytes = qint64(2) * 1024 * 1024 * 1024;
    qint64 m_maxStreamLineBytes = 64 * 1024 * 1024;
    QNetworkAccessManager *m_manager = nullptr;
    QList<StreamManager> m_streamManagers;
    ServerClock m_serverClock;
};

} // namespace podtap::kube
