// The loopback interface through netlink and ioctls: getifaddrs (RTM_GETLINK/RTM_GETADDR
// dumps), if_nametoindex, SIOCGIF* on lo, ENODEV for a missing interface, socket errors.
// Only lo is printed: the host has more interfaces than the sandbox.
// covers: socket, bind, sendto, recvfrom, recvmsg, getsockname, ioctl
// area: sockets
#include "probe.h"
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static void show_ifaddrs(void) {
    struct ifaddrs *ifa, *p;
    if (getifaddrs(&ifa) < 0) {
        printf("getifaddrs: -1 %s\n", probe_errname(errno));
        return;
    }
    for (p = ifa; p; p = p->ifa_next) {
        if (strcmp(p->ifa_name, "lo") || !p->ifa_addr)
            continue;
        int fam = p->ifa_addr->sa_family;
        char txt[64] = "", mask[64] = "";
        if (fam == AF_INET) {
            inet_ntop(fam, &((struct sockaddr_in *)p->ifa_addr)->sin_addr, txt, sizeof txt);
            inet_ntop(fam, &((struct sockaddr_in *)p->ifa_netmask)->sin_addr, mask, sizeof mask);
        } else if (fam == AF_INET6) {
            inet_ntop(fam, &((struct sockaddr_in6 *)p->ifa_addr)->sin6_addr, txt, sizeof txt);
            inet_ntop(fam, &((struct sockaddr_in6 *)p->ifa_netmask)->sin6_addr, mask, sizeof mask);
        } else if (fam == AF_PACKET) {
            snprintf(txt, sizeof txt, "hatype=%d", ((struct sockaddr_ll *)p->ifa_addr)->sll_hatype);
        }
        printf("ifaddr lo family=%d %s %s flags=%#x\n", fam, txt, mask, p->ifa_flags & 0xffff);
    }
    freeifaddrs(ifa);
}

static void ioctls(int s) {
    struct ifreq r;
    memset(&r, 0, sizeof r);
    strcpy(r.ifr_name, "lo");
    SHOW("SIOCGIFFLAGS", ioctl(s, SIOCGIFFLAGS, &r));
    printf("lo flags=%#x\n", r.ifr_flags & 0xffff);
    SHOW("SIOCGIFINDEX", ioctl(s, SIOCGIFINDEX, &r));
    printf("lo index=%d\n", r.ifr_ifindex);
    SHOW("SIOCGIFMTU", ioctl(s, SIOCGIFMTU, &r));
    printf("lo mtu=%d\n", r.ifr_mtu);
    SHOW("SIOCGIFADDR", ioctl(s, SIOCGIFADDR, &r));
    printf("lo addr=%s\n", inet_ntoa(((struct sockaddr_in *)&r.ifr_addr)->sin_addr));
    SHOW("SIOCGIFNETMASK", ioctl(s, SIOCGIFNETMASK, &r));
    printf("lo mask=%s\n", inet_ntoa(((struct sockaddr_in *)&r.ifr_netmask)->sin_addr));
    SHOW("SIOCGIFHWADDR", ioctl(s, SIOCGIFHWADDR, &r));
    printf("lo hw family=%d\n", r.ifr_hwaddr.sa_family);
    r.ifr_ifindex = 1;
    SHOW("SIOCGIFNAME", ioctl(s, SIOCGIFNAME, &r));
    printf("index 1 name=%s\n", r.ifr_name);
    strcpy(r.ifr_name, "nosuch0");
    SHOW("SIOCGIFFLAGS missing", ioctl(s, SIOCGIFFLAGS, &r));
    SHOW("SIOCGIFADDR missing", ioctl(s, SIOCGIFADDR, &r));
    struct ifconf ic = {0};
    SHOW("SIOCGIFCONF size", ioctl(s, SIOCGIFCONF, &ic));
    YESNO("SIOCGIFCONF size is a multiple of ifreq", ic.ifc_len % sizeof(struct ifreq) == 0);
    struct ifreq reqs[32];
    ic.ifc_len = sizeof reqs;
    ic.ifc_req = reqs;
    SHOW("SIOCGIFCONF", ioctl(s, SIOCGIFCONF, &ic));
    for (int i = 0; i < ic.ifc_len / (int)sizeof(struct ifreq); i++)
        if (!strcmp(reqs[i].ifr_name, "lo"))
            printf("ifconf lo %s\n", inet_ntoa(((struct sockaddr_in *)&reqs[i].ifr_addr)->sin_addr));
}

static void raw_netlink(void) {
    SHOW("netlink stream", socket(AF_NETLINK, SOCK_STREAM, NETLINK_ROUTE));
    SHOW("netlink bad proto", socket(AF_NETLINK, SOCK_RAW, 40));
    int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    struct sockaddr_nl a = {AF_NETLINK};
    SHOW("bind", bind(s, (struct sockaddr *)&a, sizeof a));
    socklen_t len = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &len);
    printf("nl_pid set=%d len=%d\n", a.nl_pid != 0, len);
    struct {
        struct nlmsghdr h;
        struct ifinfomsg i;
    } req = {{sizeof req, RTM_GETLINK, NLM_F_REQUEST, 7, 0}, {AF_UNSPEC, 0, 0, 1, 0, 0}};
    SHOW("send GETLINK index 1", send(s, &req, sizeof req, 0));
    char buf[8192];
    long n = recv(s, buf, sizeof buf, 0);
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    struct ifinfomsg *ifi = NLMSG_DATA(h);
    printf("reply ok=%d type=%d seq=%d index=%d\n", n > 0, h->nlmsg_type, h->nlmsg_seq, ifi->ifi_index);
    req.i.ifi_index = 999;
    send(s, &req, sizeof req, 0);
    n = recv(s, buf, sizeof buf, 0);
    struct nlmsgerr *e = NLMSG_DATA(h);
    printf("missing index: type=%d error=%s\n", h->nlmsg_type, probe_errname(-e->error));
    close(s);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("if_nametoindex lo=%u\n", if_nametoindex("lo"));
    printf("if_nametoindex nosuch0=%u\n", if_nametoindex("nosuch0"));
    show_ifaddrs();
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    ioctls(s);
    close(s);
    raw_netlink();
    return 0;
}
