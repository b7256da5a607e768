#ifndef STEWARD_CEVENTPOLL_SHIM_H
#define STEWARD_CEVENTPOLL_SHIM_H

// epoll, which Swift's Glibc module does not bring in. `struct epoll_event`
// is packed on x86_64, so Swift never touches one: these functions take and
// give its two fields as plain values.
#include <stdint.h>
#include <sys/epoll.h>

static const uint32_t steward_epoll_in = EPOLLIN;
static const uint32_t steward_epoll_out = EPOLLOUT;
static const uint32_t steward_epoll_hup = EPOLLHUP;
static const uint32_t steward_epoll_err = EPOLLERR;
static const uint32_t steward_epoll_rdhup = EPOLLRDHUP;
static const uint32_t steward_epoll_oneshot = EPOLLONESHOT;

static inline int steward_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

/// epoll_ctl with ADD (op 0), MOD (1) or DEL (2).
static inline int steward_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    static const int ops[] = { EPOLL_CTL_ADD, EPOLL_CTL_MOD, EPOLL_CTL_DEL };
    struct epoll_event event;
    event.events = events;
    event.data.u64 = data;
    return epoll_ctl(epfd, ops[op], fd, &event);
}

/// epoll_wait for at most 64 events, each given back as its mask and data.
static inline int steward_epoll_wait(int epfd, uint32_t *events, uint64_t *data, int timeout) {
    struct epoll_event list[64];
    int count = epoll_wait(epfd, list, 64, timeout);
    for (int i = 0; i < count; i++) {
        events[i] = list[i].events;
        data[i] = list[i].data.u64;
    }
    return count;
}

#endif
