// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "session_handle.h"

#include <QAbstractTableModel>
#include <QList>
#include <QPointer>
#include <QTimer>

namespace podtap::gui {

/// @brief The Sessions panel's rows: one per tap, with its state, counters and elapsed time.
///
/// Rows update from their SessionHandle's changed() signal, one dataChanged per row; the elapsed
/// column of active rows ticks once a second.
class SessionTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SessionTableModel)

public:
    enum Column {
        StateColumn,
        TargetColumn,
        DestinationColumn,
        PacketsColumn,
        BytesColumn,
        DropsColumn,
        ElapsedColumn,
        ColumnCount
    };
    enum Role {
        SortRole = Qt::UserRole + 1, ///< raw value: counts as numbers, elapsed in seconds
        StateRole, ///< int(SessionHandle::State)
        ActiveRole, ///< bool
    };

    explicit SessionTableModel(QObject *parent = nullptr);
    ~SessionTableModel() override;

    /// Adds a row for @p session; the model takes ownership of it.
    void addSession(SessionHandle *session);
    /// Drops the rows of sessions that are no longer active.
    void removeFinished();
    SessionHandle *sessionAt(int row) const;
    int rowOf(const SessionHandle *session) const;
    QList<SessionHandle *> sessions() const;
    int activeCount() const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    void activeCountChanged(int active);

private:
    void onSessionChanged(SessionHandle *session);
    void tick();

    QList<QPointer<SessionHandle>> m_sessions;
    QTimer m_ticker;
    int m_lastActive = 0;
};

/// "1.2 MB", "512 B".
QString formatBytes(qint64 bytes);

} // namespace podtap::gui
