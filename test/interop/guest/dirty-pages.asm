; dirty-pages.asm: a 512-byte boot sector that keeps dirtying guest RAM.
;
; Build: nasm -f bin -o dirty-pages.bin dirty-pages.asm
;
; Why it exists: the interop tests need a guest whose memory keeps changing in a
; predictable way, so a migration stream captured from real QEMU contains pages
; we can check. After the BIOS hands over, the code
;   1. opens the A20 gate (so addresses above 1 MiB are not wrapped),
;   2. switches to 32-bit protected mode with flat 4 GiB segments,
;   3. loops forever: increments the first byte of every 4 KiB page in
;      [1 MiB, 100 MiB), then prints 'B' on COM1 so the host can see progress.
; Nothing else in RAM is written, so those pages stay zero (the stream sends
; them as zero pages).

        bits 16
        org 0x7c00

PAGE_SIZE   equ 0x1000
RANGE_START equ 0x00100000          ; 1 MiB
RANGE_END   equ 0x06400000          ; 100 MiB (exclusive)
COM1_DATA   equ 0x3f8
COM1_LSR    equ 0x3fd               ; line status register
LSR_THRE    equ 0x20                ; transmit holding register empty

start:
        cli                         ; no IVT/IDT in protected mode: keep IRQs off
        xor ax, ax
        mov ds, ax                  ; lgdt below reads through DS
        mov ss, ax
        mov sp, 0x7c00

        ; "Fast A20" through the system control port: set bit 1, but never
        ; bit 0, which would reset the machine.
        in al, 0x92
        or al, 0x02
        and al, 0xfe
        out 0x92, al

        lgdt [gdt_pointer]
        mov eax, cr0
        or eax, 1                   ; CR0.PE
        mov cr0, eax
        jmp CODE_SEL:protected      ; far jump reloads CS with a 32-bit selector

        bits 32
protected:
        mov ax, DATA_SEL
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov fs, ax
        mov gs, ax
        mov esp, 0x7c00             ; stack is unused, but keep it somewhere sane

pass:
        mov ebx, RANGE_START
.touch:
        inc byte [ebx]              ; dirty this page (wraps 255 -> 0)
        add ebx, PAGE_SIZE
        cmp ebx, RANGE_END
        jb .touch

        ; One 'B' per completed pass. Poll the LSR so we never overrun the UART.
        mov dx, COM1_LSR
.wait_tx:
        in al, dx
        test al, LSR_THRE
        jz .wait_tx
        mov dx, COM1_DATA
        mov al, 'B'
        out dx, al
        jmp pass

; Flat GDT: null descriptor, then 4 GiB code and data segments (base 0,
; limit 0xfffff in 4 KiB units, 32-bit).
        align 8
gdt:
        dq 0
gdt_code:
        dw 0xffff, 0x0000
        db 0x00, 0x9a, 0xcf, 0x00   ; present, ring 0, code, exec/read; G=1, D=1
gdt_data:
        dw 0xffff, 0x0000
        db 0x00, 0x92, 0xcf, 0x00   ; present, ring 0, data, read/write; G=1, B=1
gdt_end:

CODE_SEL equ gdt_code - gdt
DATA_SEL equ gdt_data - gdt

gdt_pointer:
        dw gdt_end - gdt - 1        ; limit
        dd gdt                      ; linear base (DS = 0, so offset = address)

        times 510 - ($ - $$) db 0
        dw 0xaa55                   ; BIOS boot signature (bytes 0x55 0xAA)
