// SPDX-License-Identifier: Apache-2.0
#include "http_server.h"

#include "cert_authority.h"
#include "sim_store.h"

#include <QDateTime>
#include <QFile>
#include <QLocale>
#include <QSslServer>
#include <QSslSocket>
#include <QUrl>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace podtap::sim {

namespace {
constexpr qsizetype maxHeaderBytes = 64 * 1024;
constexpr qsizetype maxBodyBytes = 16 * 1024 * 1024;
constexpr qsizetype sliceBytes = 256 * 1024;
constexpr qint64 upgradedReadBufferBytes = 1024 * 1024;
} // namespace

QByteArray httpReason(int status)
{
    switch (status) {
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 413:
        return "Request Entity Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    default:
        return "Status";
    }
}

QByteArray HttpRequest::param(const char *name) const
{
    return query.queryItemValue(QString::fromLatin1(name), QUrl::FullyDecoded).toUtf8();
}

bool HttpRequest::hasParam(const char *name) const
{
    return query.hasQueryItem(QString::fromLatin1(name));
}

HttpConnection::HttpConnection(
    QSslSocket *socket, Handler handler, const CertAuthority *ca, QByteArray token, QObject *parent)
    : QObject(parent)
    , m_socket(socket)
    , m_handler(std::move(handler))
    , m_ca(ca)
    , m_token(std::move(token))
{
    socket->setParent(this);
    connect(socket, &QSslSocket::readyRead, this, &HttpConnection::readMore);
    connect(socket, &QSslSocket::disconnected, this, [this] {
        if (!m_closed) {
            m_closed = true;
            Q_EMIT closed();
        }
        deleteLater();
    });
    connect(socket, &QSslSocket::encryptedBytesWritten, this, &HttpConnection::pump);
    connect(socket, &QSslSocket::bytesWritten, this, &HttpConnection::pump);
    readMore();
}

HttpConnection::~HttpConnection()
{
    if (!m_closed) {
        m_closed = true;
        Q_EMIT closed();
    }
}

qint64 HttpConnection::pendingBytes() const
{
    return m_socket ? m_socket->bytesToWrite() + m_socket->encryptedBytesToWrite() : 0;
}

void HttpConnection::readMore()
{
    if (!m_socket) {
        return;
    }
    if (m_upgraded) {
        // The new protocol reads at its own pace (readRaw), so a slow consumer holds the sender back.
        Q_EMIT rawReadyRead();
        return;
    }
    m_buffer.append(m_socket->readAll());
    while (!m_streaming && !m_upgraded && !m_closed && m_outgoing.isEmpty() && parseOne()) { }
    if (m_buffer.size() > maxHeaderBytes + maxBodyBytes) {
        abort();
    }
}

void HttpConnection::authenticate(HttpRequest &request)
{
    const QByteArray authorization = request.header("authorization");
    if (!m_token.isEmpty() && authorization.startsWith("Bearer ")) {
        if (authorization.mid(7).trimmed() == m_token) {
            request.authenticated = true;
            request.user = "token-user";
            request.groups = {"system:authenticated"};
        }
        return;
    }
    if (!m_certChecked && m_socket) {
        m_certChecked = true;
        const QSslCertificate peer = m_socket->peerCertificate();
        CertAuthority::Subject subject;
        if (!peer.isNull() && m_ca->verifyClient(peer.toDer(), &subject)) {
            m_certValid = true;
            m_certUser = subject.user;
            m_certGroups = subject.groups;
            m_certGroups.append("system:authenticated");
        }
    }
    if (m_certValid) {
        request.authenticated = true;
        request.user = m_certUser;
        request.groups = m_certGroups;
    }
}

bool HttpConnection::parseOne()
{
    const qsizetype headerEnd = m_buffer.indexOf("\r\n\r\n");
    if (headerEnd < 0) {
        if (m_buffer.size() > maxHeaderBytes) {
            respond(413, "text/plain", "request header too large\n");
            abort();
        }
        return false;
    }
    const QList<QByteArray> lines = m_buffer.left(headerEnd).split('\n');
    const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
    if (requestLine.size() != 3) {
        respond(400, "text/plain", "malformed request line\n");
        abort();
        return false;
    }
    HttpRequest request;
    request.method = requestLine[0];
    const QByteArray target = requestLine[1];
    const qsizetype q = target.indexOf('?');
    request.path = QByteArray::fromPercentEncoding(q < 0 ? target : target.left(q));
    if (q >= 0) {
        // Go's url.ParseQuery decodes '+' as a space (form encoding); clients send spaces that way.
        QByteArray query = target.mid(q + 1);
        query.replace('+', "%20");
        request.query.setQuery(QString::fromUtf8(query));
    }
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray &line = lines[i];
        const qsizetype colon = line.indexOf(':');
        if (colon > 0) {
            // A repeated header (Impersonate-Group) keeps every value, one per line.
            QByteArray &value = request.headers[line.left(colon).trimmed().toLower()];
            value += (value.isEmpty() ? QByteArray() : QByteArray("\n")) + line.mid(colon + 1).trimmed();
        }
    }
    qsizetype consumed = headerEnd + 4;
    if (request.header("transfer-encoding").toLower().contains("chunked")) {
        qsizetype pos = consumed;
        QByteArray body;
        for (;;) {
            const qsizetype lineEnd = m_buffer.indexOf("\r\n", pos);
            if (lineEnd < 0) {
                return false;
            }
            bool ok = false;
            const qsizetype size = m_buffer.mid(pos, lineEnd - pos).split(';').value(0).trimmed().toLongLong(&ok, 16);
            if (!ok) {
                respond(400, "text/plain", "malformed chunk\n");
                abort();
                return false;
            }
            if (m_buffer.size() < lineEnd + 2 + size + 2) {
                return false;
            }
            body.append(m_buffer.mid(lineEnd + 2, size));
            pos = lineEnd + 2 + size + 2;
            if (size == 0) {
                break;
            }
        }
        request.body = body;
        consumed = pos;
    } else {
        const qsizetype length = request.header("content-length").toLongLong();
        if (length > maxBodyBytes) {
            respond(413, "text/plain", "request body too large\n");
            abort();
            return false;
        }
        if (m_buffer.size() < consumed + length) {
            return false;
        }
        request.body = m_buffer.mid(consumed, length);
        consumed += length;
    }
    m_buffer.remove(0, consumed);
    m_closeAfterResponse = request.header("connection").toLower() == "close";
    authenticate(request);
    m_handler(this, request);
    return true;
}

void HttpConnection::writeHead(
    int status, const QByteArray &contentType, qint64 length, const QByteArrayList &extraHeaders)
{
    QByteArray head = "HTTP/1.1 " + QByteArray::number(status) + ' ' + httpReason(status) + "\r\n";
    head += "Content-Type: " + contentType + "\r\n";
    head += "Cache-Control: no-cache, private\r\n";
    // As every Go net/http server does; clients read the server's time from it (podtap ages heartbeats by it).
    head += "Date: " +
        QLocale::c()
            .toString(QDateTime::fromMSecsSinceEpoch(SimStore::nowMs(), Qt::UTC),
                QStringLiteral("ddd, dd MMM yyyy hh:mm:ss 'GMT'"))
            .toLatin1() +
        "\r\n";
    if (length >= 0) {
        head += "Content-Length: " + QByteArray::number(length) + "\r\n";
    } else {
        head += "Transfer-Encoding: chunked\r\n";
    }
    for (const QByteArray &header : extraHeaders) {
        head += header + "\r\n";
    }
    if (m_closeAfterResponse) {
        head += "Connection: close\r\n";
    }
    head += "\r\n";
    m_socket->write(head);
}

void HttpConnection::respond(
    int status, const QByteArray &contentType, const QByteArray &body, const QByteArrayList &extraHeaders)
{
    if (!m_socket || m_closed) {
        return;
    }
    writeHead(status, contentType, body.size(), extraHeaders);
    if (body.size() <= sliceBytes) {
        m_socket->write(body);
        if (m_closeAfterResponse) {
            m_socket->disconnectFromHost();
        }
        return;
    }
    m_outgoing = body;
    m_outgoingOffset = 0;
    pump();
}

void HttpConnection::pump()
{
    if (!m_socket || m_closed) {
        return;
    }
    if (m_outgoing.isEmpty()) {
        if (pendingBytes() < sliceBytes) {
            Q_EMIT drained();
        }
        return;
    }
    while (m_outgoingOffset < m_outgoing.size() && pendingBytes() < sliceBytes) {
        const qsizetype n = std::min(sliceBytes, m_outgoing.size() - m_outgoingOffset);
        m_socket->write(m_outgoing.constData() + m_outgoingOffset, n);
        m_outgoingOffset += n;
    }
    if (m_outgoingOffset >= m_outgoing.size()) {
        m_outgoing.clear();
        m_outgoingOffset = 0;
        if (m_closeAfterResponse) {
            m_socket->disconnectFromHost();
            return;
        }
        QMetaObject::invokeMethod(this, &HttpConnection::readMore, Qt::QueuedConnection);
    }
}

void HttpConnection::beginStream(int status, const QByteArray &contentType)
{
    if (!m_socket || m_closed) {
        return;
    }
    m_streaming = true;
    writeHead(status, contentType, -1, {});
    m_socket->flush();
}

void HttpConnection::writeChunk(const QByteArray &data)
{
    if (!m_socket || m_closed || data.isEmpty()) {
        return;
    }
    m_socket->write(QByteArray::number(data.size(), 16) + "\r\n");
    m_socket->write(data);
    m_socket->write("\r\n");
    m_socket->flush();
}

void HttpConnection::endStream()
{
    if (!m_socket || m_closed || !m_streaming) {
        return;
    }
    m_socket->write("0\r\n\r\n");
    m_streaming = false;
    if (m_closeAfterResponse) {
        m_socket->disconnectFromHost();
        return;
    }
    // Serve anything the client pipelined behind the stream.
    QMetaObject::invokeMethod(this, &HttpConnection::readMore, Qt::QueuedConnection);
}

void HttpConnection::upgrade(const QByteArrayList &extraHeaders)
{
    if (!m_socket || m_closed) {
        return;
    }
    QByteArray head = "HTTP/1.1 101 Switching Protocols\r\n";
    for (const QByteArray &header : extraHeaders) {
        head += header + "\r\n";
    }
    head += "\r\n";
    m_socket->write(head);
    m_upgraded = true;
    // Bounded: while the consumer does not read, the socket stops taking bytes from the peer.
    m_socket->setReadBufferSize(upgradedReadBufferBytes);
    if (!m_buffer.isEmpty() || m_socket->bytesAvailable() > 0) {
        QMetaObject::invokeMethod(this, &HttpConnection::rawReadyRead, Qt::QueuedConnection);
    }
}

QByteArray HttpConnection::readRaw(qint64 maxBytes)
{
    QByteArray out;
    if (!m_buffer.isEmpty()) {
        out = m_buffer.left(maxBytes);
        m_buffer.remove(0, out.size());
    }
    if (m_socket && out.size() < maxBytes) {
        out.append(m_socket->read(maxBytes - out.size()));
    }
    return out;
}

void HttpConnection::writeRaw(const QByteArray &data)
{
    if (m_socket && !m_closed) {
        m_socket->write(data);
        // One TLS record per message: clients that poll the TCP socket before reading the next
        // frame (python3-kubernetes) never see a frame that sits decrypted in their TLS buffer.
        m_socket->flush();
    }
}

void HttpConnection::respondRawAndClose(const QByteArray &response)
{
    if (!m_socket || m_closed) {
        return;
    }
    m_socket->write(response);
    m_socket->disconnectFromHost();
}

void HttpConnection::closeGracefully()
{
    if (m_socket && !m_closed) {
        m_socket->disconnectFromHost();
    }
}

void HttpConnection::abort()
{
    if (!m_socket) {
        return;
    }
    m_streaming = false;
    m_socket->abort();
    if (!m_closed) {
        m_closed = true;
        Q_EMIT closed();
    }
    deleteLater();
}

HttpServer::HttpServer(const CertAuthority *ca, QObject *parent)
    : QObject(parent)
    , m_ca(ca)
{
}

HttpServer::~HttpServer() = default;

QSslServer *HttpServer::addServer(const QSslConfiguration &tls)
{
    auto *server = new QSslServer(this);
    server->setSslConfiguration(tls);
    connect(server, &QSslServer::pendingConnectionAvailable, this, [this, server] {
        while (server->hasPendingConnections()) {
            auto *socket = qobject_cast<QSslSocket *>(server->nextPendingConnection());
            if (socket) {
                new HttpConnection(socket, m_handler, m_ca, m_token, this);
            }
        }
    });
    return server;
}

bool HttpServer::listen(const QHostAddress &address, quint16 port, const QSslConfiguration &tls)
{
    m_server = addServer(tls);
    if (!m_server->listen(address, port)) {
        m_error = m_server->errorString();
        return false;
    }
    return true;
}

bool HttpServer::listenInNetns(const QString &netnsPath, const QHostAddress &address, const QSslConfiguration &tls)
{
    // setns() changes only the calling thread's namespace: open the socket from a short-lived thread.
    int fd = -1;
    QString failure;
    std::thread opener([&] {
        const int ns = ::open(QFile::encodeName(netnsPath).constData(), O_RDONLY | O_CLOEXEC);
        if (ns < 0 || ::setns(ns, CLONE_NEWNET) != 0) {
            failure = QStringLiteral("enter %1: %2").arg(netnsPath, QString::fromLocal8Bit(std::strerror(errno)));
            if (ns >= 0) {
                ::close(ns);
            }
            return;
        }
        ::close(ns);
        sockaddr_in local = {};
        local.sin_family = AF_INET;
        local.sin_port = htons(port());
        local.sin_addr.s_addr = htonl(address.toIPv4Address());
        const int one = 1;
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0 || ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
            ::bind(fd, reinterpret_cast<sockaddr *>(&local), sizeof local) != 0 || ::listen(fd, 128) != 0) {
            failure = QStringLiteral("listen on %1:%2 in %3: %4")
                          .arg(address.toString())
                          .arg(port())
                          .arg(netnsPath, QString::fromLocal8Bit(std::strerror(errno)));
            if (fd >= 0) {
                ::close(fd);
                fd = -1;
            }
        }
    });
    opener.join();
    if (fd < 0) {
        m_error = failure;
        return false;
    }
    QSslServer *server = addServer(tls);
    if (!server->setSocketDescriptor(fd)) {
        m_error = server->errorString();
        ::close(fd);
        return false;
    }
    return true;
}

quint16 HttpServer::port() const
{
    return m_server ? m_server->serverPort() : 0;
}

} // namespace podtap::sim
