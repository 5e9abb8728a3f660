// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QObject>

namespace podtap::cli {

/// @brief Turns SIGINT and SIGTERM into a Qt signal, so a command can stop cleanly on Ctrl-C.
///
/// The handler only writes to a pipe; the event loop reads it, so nothing unsafe runs in the handler.
class UnixSignals final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UnixSignals)

public:
    explicit UnixSignals(QObject *parent = nullptr);
    ~UnixSignals() override;

Q_SIGNALS:
    void received(int signalNumber);
};

} // namespace podtap::cli
