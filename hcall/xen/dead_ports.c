/* SPDX-License-Identifier: MIT */
/*
 * xen/common/sccrypt/dead_ports.c: the I/O ports around a sealed HVM
 * guest's console that would carry console text or keystrokes to dom0 are
 * dead for it.
 *
 * An HVM guest's device model (QEMU in dom0) sees every port no handler of
 * Xen's claims.  Around the UART that SCCrypt owns (COM1, uart_port.c) these
 * would still carry what the seal keeps from dom0:
 *   0x2f8-0x2ff, 0x3e8-0x3ef, 0x2e8-0x2ef  COM2, COM3, COM4: a guest or its
 *        firmware may print its console there, or read a login from it;
 *   0x60, 0x64  the i8042 keyboard controller: a PS/2 keyboard QEMU emulates
 *        is a keystroke path dom0 controls (OVMF merges PS/2 input with the
 *        serial console's), and its output port resets the guest;
 *   0x3b0-0x3df  the VGA ports (text-mode cursor, attribute and sequencer
 *        registers; the text itself is refused at the bind: pristine.c
 *        admits no device model that claims the VGA window).
 * While the domain is sealed a read of any of them gives all ones (nothing
 * there, as on a machine without the device) and a write is dropped; the
 * device model never sees the access.  0x61 (the PIT's gate and speaker,
 * Xen's own) lies between the i8042 ports and stays alive.
 *
 * Xen's port handlers are tried in the order they were registered, before
 * any ioreq server, and none can be removed (NR_IO_HANDLERS per domain).
 * So one handler is registered for every HVM domain when it is created,
 * before stdvga's (which snoops 0x3c4 and 0x3ce and passes them on to the
 * device model), and it accepts an access only while the domain is sealed:
 * until the bind the guest's devices behave as before.  An access that
 * touches a dead port is taken whole.
 */
#include <xen/lib.h>
#include <xen/sched.h>
#include <xen/sccrypt.h>
#include <asm/hvm/io.h>
#include <asm/hvm/emulate.h>

static const struct {
    uint16_t first, last;
} dead[] = {
    { 0x060, 0x060 },   /* i8042 data */
    { 0x064, 0x064 },   /* i8042 status and command */
    { 0x2e8, 0x2ef },   /* COM4 */
    { 0x2f8, 0x2ff },   /* COM2 */
    { 0x3b0, 0x3df },   /* VGA (MDA, EGA/VGA and CGA registers) */
    { 0x3e8, 0x3ef },   /* COM3 */
};

/* Does [port, port + size) touch a dead port? */
bool sccrypt_port_dead(unsigned int port, unsigned int size)
{
    unsigned int i;

    if ( !size || port + size < port )
        return false;
    for ( i = 0; i < ARRAY_SIZE(dead); i++ )
        if ( port <= dead[i].last && port + size - 1 >= dead[i].first )
            return true;
    return false;
}

static bool cf_check dead_accept(const struct hvm_io_handler *handler,
                                 const ioreq_t *p)
{
    return unlikely(ACCESS_ONCE(current->domain->sccrypt_sealed)) &&
           sccrypt_port_dead(p->addr, p->size);
}

static int cf_check dead_read(const struct hvm_io_handler *handler,
                              uint64_t addr, uint32_t size, uint64_t *data)
{
    *data = size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
    return X86EMUL_OKAY;
}

static int cf_check dead_write(const struct hvm_io_handler *handler,
                               uint64_t addr, uint32_t size, uint64_t data)
{
    return X86EMUL_OKAY;
}

static const struct hvm_io_ops dead_ops = {
    .accept = dead_accept,
    .read = dead_read,
    .write = dead_write,
};

void sccrypt_dead_ports_init(struct domain *d)
{
    struct hvm_io_handler *handler = hvm_next_io_handler(d);

    if ( !handler )
        return;                 /* the domain was crashed: no room */
    handler->type = IOREQ_TYPE_PIO;
    handler->ops = &dead_ops;
}
