// SPDX-License-Identifier: Apache-2.0
#include "list_stream.h"

#include "http_server.h"
#include "sim_store.h"

#include <QTimer>

namespace podtap::sim {

ListStream::ListStream(
    HttpConnection *connection, SimStore *store, Options options, const QByteArray &head, QObject *parent)
    : QObject(parent)
    , m_connection(connection)
    , m_store(store)
    , m_options(std::move(options))
    , m_now(SimStore::nowMs())
{
    connect(connection, &HttpConnection::closed, this, &QObject::deleteLater);
    connection->beginStream(200, "application/json");
    connection->writeChunk(head);
    writeMore();
}

void ListStream::writeMore()
{
    if (!m_connection) {
        return;
    }
    const SimStore::ObjectMap &objects = m_store->objects(m_options.kind);
    // Resume by key: objects may come and go between slices.
    auto it = m_started ? objects.upper_bound(m_lastKey) : objects.lower_bound(m_options.prefix);
    m_started = true;
    JsonWriter json(600 * 1024);
    // The writer starts inside the array, so it separates elements itself after the first slice.
    json.beginArray();
    if (!m_first) {
        json.null(); // placeholder element, cut below, so the next one gets a leading comma
    }
    const qsizetype placeholder = json.size();
    int written = 0;
    bool done = true;
    for (; it != objects.end(); ++it) {
        if (!m_options.prefix.isEmpty() && !it->first.startsWith(m_options.prefix)) {
            break;
        }
        if (json.size() >= 512 * 1024) {
            done = false;
            break;
        }
        m_lastKey = it->first;
        if (!m_options.selector.matches(*it->second)) {
            continue;
        }
        if (m_options.table) {
            ObjectWriter::writeTableRow(json, *it->second, m_options.tableObject, m_now);
        } else {
            ObjectWriter::writeObject(json, *it->second, false);
        }
        ++written;
    }
    QByteArray slice = json.data().mid(placeholder);
    if (written > 0) {
        m_first = false;
    }
    if (done) {
        slice.append("]}");
        m_connection->writeChunk(slice);
        m_connection->endStream();
        disconnect(m_connection, nullptr, this, nullptr);
        deleteLater();
        m_connection = nullptr;
        return;
    }
    m_connection->writeChunk(slice);
    schedule();
}

void ListStream::schedule()
{
    // Polling the socket's backlog is simpler and sturdier than counting TLS write signals.
    if (!m_connection) {
        return;
    }
    if (m_connection->pendingBytes() < 1024 * 1024) {
        QTimer::singleShot(0, this, &ListStream::writeMore);
    } else {
        QTimer::singleShot(2, this, &ListStream::schedule);
    }
}

} // namespace podtap::sim
