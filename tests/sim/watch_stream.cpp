// SPDX-License-Identifier: Apache-2.0
#include "watch_stream.h"

#include "api_server.h"
#include "http_server.h"

#include <QTimer>

namespace podtap::sim {

WatchStream::WatchStream(HttpConnection *connection, SimStore *store, Options options, quint64 startVersion,
    const std::vector<WatchEvent> &initial, QObject *parent)
    : QObject(parent)
    , m_connection(connection)
    , m_store(store)
    , m_options(std::move(options))
    , m_startVersion(startVersion)
    , m_lastVersion(startVersion)
{
    connect(connection, &HttpConnection::closed, this, [this] {
        m_finished = true;
        deleteLater();
    });
    connection->beginStream(200, "application/json");
    if (m_options.stall) {
        return; // like a peer that vanished: the client must notice the silence itself
    }
    for (const WatchEvent &event : initial) {
        onEvent(event);
    }
    if (m_finished) {
        return;
    }
    if (m_options.errorCode > 0) {
        // Fault injection: the real server ends a watch with an ERROR event when, e.g., its
        // storage fails mid-watch.
        sendError(m_options.errorCode,
            m_options.errorCode == 410 ? "too old resource version: " + QByteArray::number(m_startVersion) + " (" +
                    QByteArray::number(m_startVersion + 1) + ')'
                                       : QByteArray("kube-sim: injected watch error (--watch-error)"));
        finish();
        return;
    }
    if (m_options.closeAfterMs == 0) {
        finish(); // accepted, then ended at once
        return;
    }
    if (m_options.closeAfterMs > 0) {
        QTimer::singleShot(m_options.closeAfterMs, this, &WatchStream::finish);
    }
    connect(store, &SimStore::eventRecorded, this, &WatchStream::onEvent);
    if (m_options.bookmarks && m_options.bookmarkIntervalMs > 0) {
        auto *timer = new QTimer(this);
        connect(timer, &QTimer::timeout, this, &WatchStream::sendBookmark);
        timer->start(m_options.bookmarkIntervalMs);
    }
    if (m_options.timeoutSeconds > 0) {
        QTimer::singleShot(m_options.timeoutSeconds * 1000, this, &WatchStream::finish);
    }
    if (m_options.dropAfterMs > 0) {
        QTimer::singleShot(m_options.dropAfterMs, this, [this] {
            if (m_connection) {
                m_connection->abort();
            }
        });
    }
}

WatchStream::~WatchStream() = default;

bool WatchStream::selected(const ObjectPtr &object) const
{
    return object && object->kind == m_options.kind && (m_options.ns.isEmpty() || object->ns == m_options.ns) &&
        m_options.selector.matches(*object);
}

void WatchStream::onEvent(const WatchEvent &event)
{
    if (m_finished || event.object->kind != m_options.kind) {
        return;
    }
    if (m_options.expireAfter > 0 && event.resourceVersion > m_startVersion + m_options.expireAfter) {
        // The sim's stand-in for etcd compaction: this stream has fallen too far behind.
        sendError(410,
            "too old resource version: " + QByteArray::number(m_startVersion) + " (" +
                QByteArray::number(event.resourceVersion - m_options.expireAfter) + ')');
        finish();
        return;
    }
    m_lastVersion = event.resourceVersion;
    const bool now = selected(event.object);
    const bool before = event.type == WatchEvent::Type::Modified && selected(event.previous);
    switch (event.type) {
    case WatchEvent::Type::Added:
        if (now) {
            send("ADDED", *event.object);
        }
        break;
    case WatchEvent::Type::Modified:
        if (now && before) {
            send("MODIFIED", *event.object);
        } else if (now) {
            send("ADDED", *event.object);
        } else if (before) {
            send("DELETED", *event.object);
        }
        break;
    case WatchEvent::Type::Deleted:
        if (now) {
            send("DELETED", *event.object);
        }
        break;
    }
}

void WatchStream::send(const char *type, const SimObject &object)
{
    if (!m_connection) {
        return;
    }
    JsonWriter json(2048);
    json.beginObject().field("type", type).key("object");
    if (m_options.table) {
        json.beginObject().field("kind", "Table").field("apiVersion", "meta.k8s.io/v1");
        json.key("metadata")
            .beginObject()
            .field("resourceVersion", QByteArray::number(object.resourceVersion))
            .endObject();
        ObjectWriter::writeTableColumns(json, object.kind);
        json.key("rows").beginArray();
        ObjectWriter::writeTableRow(json, object, m_options.tableObject, SimStore::nowMs());
        json.endArray().endObject();
    } else {
        ObjectWriter::writeObject(json, object, true);
    }
    json.endObject();
    QByteArray line = json.take();
    line.append('\n');
    m_connection->writeChunk(line);
}

void WatchStream::sendError(int code, const QByteArray &message)
{
    JsonWriter json(512);
    json.beginObject().field("type", "ERROR").key("object").beginObject();
    json.field("kind", "Status").field("apiVersion", "v1").key("metadata").beginObject().endObject();
    json.field("status", "Failure").field("message", message).field("reason", statusReason(code)).field("code", code);
    json.endObject().endObject();
    QByteArray line = json.take();
    line.append('\n');
    if (m_connection) {
        m_connection->writeChunk(line);
    }
}

void WatchStream::sendBookmark()
{
    if (m_finished || !m_connection || !m_options.bookmarks) {
        return;
    }
    JsonWriter json(256);
    json.beginObject().field("type", "BOOKMARK").key("object").beginObject();
    json.field("kind", m_options.table ? "Table" : kindName(m_options.kind))
        .field("apiVersion", m_options.table ? "meta.k8s.io/v1" : apiVersionOf(m_options.kind));
    json.key("metadata")
        .beginObject()
        .field("resourceVersion", QByteArray::number(std::max(m_lastVersion, m_store->resourceVersion())))
        .endObject();
    json.endObject().endObject();
    QByteArray line = json.take();
    line.append('\n');
    m_connection->writeChunk(line);
}

void WatchStream::finish()
{
    if (m_finished) {
        return;
    }
    m_finished = true;
    if (m_connection) {
        m_connection->endStream();
    }
    deleteLater();
}

} // namespace podtap::sim
