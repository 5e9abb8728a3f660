// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QByteArray>
#include <QByteArrayList>
#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QSslConfiguration>
#include <QUrlQuery>

#include <functional>

class QSslServer;
class QSslSocket;

namespace podtap::sim {

class CertAuthority;

/// @brief One parsed HTTP/1.1 request, with the caller's identity once authenticated.
struct HttpRequest
{
    QByteArray method;
    QByteArray path; // percent-decoded, without the query
    QUrlQuery query;
    QHash<QByteArray, QByteArray> headers; // lower-case names; a repeated header's values joined by '\n'
    QByteArray body;
    bool authenticated = false;
    QByteArray user;
    QByteArrayList groups;

    QByteArray header(const QByteArray &name) const { return headers.value(name); }
    QByteArray param(const char *name) const;
    bool hasParam(const char *name) const;
};

/// @brief One keep-alive connection: answers requests in order, and can hold a chunked stream
/// (watch, log follow) open until the handler ends it.
class HttpConnection final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpConnection)

public:
    using Handler = std::function<void(HttpConnection *, const HttpRequest &)>;
    HttpConnection(
        QSslSocket *socket, Handler handler, const CertAuthority *ca, QByteArray token, QObject *parent = nullptr);
    ~HttpConnection() override;

    void respond(
        int status, const QByteArray &contentType, const QByteArray &body, const QByteArrayList &extraHeaders = {});
    void beginStream(int status, const QByteArray &contentType);
    void writeChunk(const QByteArray &data);
    /// Ends the chunked stream cleanly; the connection then serves the next request.
    void endStream();
    /// Drops the connection without a clean end (fault injection).
    void abort();
    bool isStreaming() const { return m_streaming; }
    qint64 pendingBytes() const;

    /// Answers the current request with `101 Switching Protocols` and @p extraHeaders and hands the
    /// connection over to the caller (a WebSocket): HTTP parsing stops, rawReadyRead() reports input,
    /// readRaw() takes it, writeRaw() sends bytes as they are.
    void upgrade(const QByteArrayList &extraHeaders);
    bool isUpgraded() const { return m_upgraded; }
    /// Up to @p maxBytes of input on an upgraded connection (what arrived with the request first).
    QByteArray readRaw(qint64 maxBytes);
    void writeRaw(const QByteArray &data);
    /// Sends a raw HTTP answer on a connection that is not upgraded (a failed handshake) and closes it.
    void respondRawAndClose(const QByteArray &response);
    /// Closes the connection once everything written has left.
    void closeGracefully();

Q_SIGNALS:
    /// The peer went away or the connection was dropped; streams must stop writing.
    void closed();
    void drained();
    /// Input arrived on an upgraded connection.
    void rawReadyRead();

private:
    void readMore();
    bool parseOne();
    void authenticate(HttpRequest &request);
    void writeHead(int status, const QByteArray &contentType, qint64 length, const QByteArrayList &extraHeaders);
    void pump();

    QPointer<QSslSocket> m_socket;
    Handler m_handler;
    const CertAuthority *m_ca;
    QByteArray m_token;
    QByteArray m_buffer;
    // A large body goes out in slices as the socket drains, so the TLS layer never holds (and
    // shuffles) hundreds of megabytes at once.
    QByteArray m_outgoing;
    qsizetype m_outgoingOffset = 0;
    bool m_streaming = false;
    bool m_upgraded = false;
    bool m_closeAfterResponse = false;
    bool m_closed = false;
    bool m_certChecked = false;
    bool m_certValid = false;
    QByteArray m_certUser;
    QByteArrayList m_certGroups;
};

/// @brief HTTPS listener that hands every request to one handler.
class HttpServer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpServer)

public:
    explicit HttpServer(const CertAuthority *ca, QObject *parent = nullptr);
    ~HttpServer() override;

    void setHandler(HttpConnection::Handler handler) { m_handler = std::move(handler); }
    /// Accept this bearer token besides client certificates (empty: certificates only).
    void setToken(const QByteArray &token) { m_token = token; }
    bool listen(const QHostAddress &address, quint16 port, const QSslConfiguration &tls);
    /// Also listens on the same port of @p address (IPv4) inside the network namespace at
    /// @p netnsPath, so clients there reach the server with the same kubeconfig.
    bool listenInNetns(const QString &netnsPath, const QHostAddress &address, const QSslConfiguration &tls);
    quint16 port() const;
    QString errorString() const { return m_error; }

private:
    QSslServer *addServer(const QSslConfiguration &tls);
    QSslServer *m_server = nullptr;
    const CertAuthority *m_ca;
    HttpConnection::Handler m_handler;
    QByteArray m_token;
    QString m_error;
};

QByteArray httpReason(int status);

} // namespace podtap::sim
