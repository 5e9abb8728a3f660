// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "object_selector.h"
#include "object_writer.h"

#include <QObject>
#include <QPointer>

namespace podtap::sim {

class HttpConnection;
class SimStore;

/// @brief Sends a big unpaged list as a chunked body, a slice at a time as the socket drains,
/// so 100k pods never sit in memory as one buffer.
class ListStream final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ListStream)

public:
    struct Options
    {
        Kind kind = Kind::Pod;
        QByteArray prefix; // "ns/" or empty
        ObjectSelector selector;
        bool table = false;
        ObjectWriter::TableObject tableObject = ObjectWriter::TableObject::Metadata;
    };
    /// @p head is the list's opening, up to and including the items/rows array's '['.
    ListStream(HttpConnection *connection, SimStore *store, Options options, const QByteArray &head,
        QObject *parent = nullptr);

private:
    void writeMore();
    void schedule();

    QPointer<HttpConnection> m_connection;
    SimStore *m_store;
    Options m_options;
    QByteArray m_lastKey;
    bool m_started = false;
    bool m_first = true;
    qint64 m_now;
};

} // namespace podtap::sim
