// SPDX-License-Identifier: Apache-2.0
#include "log_follower.h"

#include "http_server.h"
#include "object_writer.h"
#include "sim_store.h"

namespace podtap::sim {

LogFollower::LogFollower(
    HttpConnection *connection, SimStore *store, const QByteArray &podKey, bool timestamps, QObject *parent)
    : QObject(parent)
    , m_connection(connection)
    , m_podKey(podKey)
    , m_timestamps(timestamps)
{
    connect(connection, &HttpConnection::closed, this, [this] {
        m_finished = true;
        deleteLater();
    });
    connect(store, &SimStore::logAppended, this, [this](const QByteArray &key, const QByteArray &line) {
        if (key != m_podKey || !m_connection || m_finished) {
            return;
        }
        QByteArray out = m_timestamps ? ObjectWriter::timestamp(SimStore::nowMs()) + ' ' + line : line;
        out.append('\n');
        m_connection->writeChunk(out);
    });
    connect(store, &SimStore::eventRecorded, this, [this](const WatchEvent &event) {
        if (event.type == WatchEvent::Type::Deleted && event.object->kind == Kind::Pod &&
            event.object->key() == m_podKey) {
            finish();
        }
    });
}

void LogFollower::finish()
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
