;; libjpeg-turbo's "islow" IDCT (jidctint.c) for one 8×8 block in WebAssembly SIMD, four
;; columns (pass 1) or four rows (pass 2) per i32x4: the same formulas as idctBlock's int32 path
;; in jpegIdct.ts. WebAssembly's i32 arithmetic wraps modulo 2^32, exactly as JS's `>>` (ToInt32)
;; reduces the exact sums there, so the bytes are the same for every block; the shortcuts of the
;; JS path (zero AC columns and rows) are exact identities of these formulas and are not needed.
;; Source of src/data/images/jpegIdctWasm.ts (`npm run build:wasm`, Debian's wabt).
;;
;; Memory: bytes 0–255 hold the block's dequantised coefficients (64 i32, natural order), written
;; by the decoder; 256–1279 are scratch; the component planes the decoder writes into start at
;; 2048 (the caller places them).
(module
  (memory (export "memory") 1)

  ;; One 1-D pass over 8 vectors at in + 32k (k = 0..7) into out + 32k: `bias` is the rounding
  ;; term (pass 1: 2^10; pass 2: 2^17 + 128·2^18, centring the samples), `shift` 11 or 18.
  (func $idct1d (param $in i32) (param $out i32) (param $bias i32) (param $shift i32)
    (local $i0 v128) (local $i1 v128) (local $i2 v128) (local $i3 v128)
    (local $i4 v128) (local $i5 v128) (local $i6 v128) (local $i7 v128)
    (local $z1 v128) (local $z2 v128) (local $z3 v128) (local $z4 v128) (local $z5 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $t10 v128) (local $t11 v128) (local $t12 v128) (local $t13 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $b v128)
    (local.set $i0 (v128.load offset=0 (local.get $in)))
    (local.set $i1 (v128.load offset=32 (local.get $in)))
    (local.set $i2 (v128.load offset=64 (local.get $in)))
    (local.set $i3 (v128.load offset=96 (local.get $in)))
    (local.set $i4 (v128.load offset=128 (local.get $in)))
    (local.set $i5 (v128.load offset=160 (local.get $in)))
    (local.set $i6 (v128.load offset=192 (local.get $in)))
    (local.set $i7 (v128.load offset=224 (local.get $in)))
    (local.set $b (i32x4.splat (local.get $bias)))
    ;; even part
    (local.set $z1 (i32x4.mul (i32x4.add (local.get $i2) (local.get $i6)) (i32x4.splat (i32.const 4433))))
    (local.set $t2 (i32x4.sub (local.get $z1) (i32x4.mul (local.get $i6) (i32x4.splat (i32.const 15137)))))
    (local.set $t3 (i32x4.add (local.get $z1) (i32x4.mul (local.get $i2) (i32x4.splat (i32.const 6270)))))
    (local.set $t0 (i32x4.add (i32x4.shl (i32x4.add (local.get $i0) (local.get $i4)) (i32.const 13)) (local.get $b)))
    (local.set $t1 (i32x4.add (i32x4.shl (i32x4.sub (local.get $i0) (local.get $i4)) (i32.const 13)) (local.get $b)))
    (local.set $t10 (i32x4.add (local.get $t0) (local.get $t3)))
    (local.set $t13 (i32x4.sub (local.get $t0) (local.get $t3)))
    (local.set $t11 (i32x4.add (local.get $t1) (local.get $t2)))
    (local.set $t12 (i32x4.sub (local.get $t1) (local.get $t2)))
    ;; odd part
    (local.set $z1 (i32x4.add (local.get $i7) (local.get $i1)))
    (local.set $z2 (i32x4.add (local.get $i5) (local.get $i3)))
    (local.set $z3 (i32x4.add (local.get $i7) (local.get $i3)))
    (local.set $z4 (i32x4.add (local.get $i5) (local.get $i1)))
    (local.set $z5 (i32x4.mul (i32x4.add (local.get $z3) (local.get $z4)) (i32x4.splat (i32.const 9633))))
    (local.set $z3 (i32x4.sub (local.get $z5) (i32x4.mul (local.get $z3) (i32x4.splat (i32.const 16069)))))
    (local.set $z4 (i32x4.sub (local.get $z5) (i32x4.mul (local.get $z4) (i32x4.splat (i32.const 3196)))))
    (local.set $z1 (i32x4.mul (local.get $z1) (i32x4.splat (i32.const 7373))))
    (local.set $z2 (i32x4.mul (local.get $z2) (i32x4.splat (i32.const 20995))))
    (local.set $a0 (i32x4.add (i32x4.sub (i32x4.mul (local.get $i7) (i32x4.splat (i32.const 2446))) (local.get $z1)) (local.get $z3)))
    (local.set $a1 (i32x4.add (i32x4.sub (i32x4.mul (local.get $i5) (i32x4.splat (i32.const 16819))) (local.get $z2)) (local.get $z4)))
    (local.set $a2 (i32x4.add (i32x4.sub (i32x4.mul (local.get $i3) (i32x4.splat (i32.const 25172))) (local.get $z2)) (local.get $z3)))
    (local.set $a3 (i32x4.add (i32x4.sub (i32x4.mul (local.get $i1) (i32x4.splat (i32.const 12299))) (local.get $z1)) (local.get $z4)))
    (v128.store offset=0 (local.get $out) (i32x4.shr_s (i32x4.add (local.get $t10) (local.get $a3)) (local.get $shift)))
    (v128.store offset=224 (local.get $out) (i32x4.shr_s (i32x4.sub (local.get $t10) (local.get $a3)) (local.get $shift)))
    (v128.store offset=32 (local.get $out) (i32x4.shr_s (i32x4.add (local.get $t11) (local.get $a2)) (local.get $shift)))
    (v128.store offset=192 (local.get $out) (i32x4.shr_s (i32x4.sub (local.get $t11) (local.get $a2)) (local.get $shift)))
    (v128.store offset=64 (local.get $out) (i32x4.shr_s (i32x4.add (local.get $t12) (local.get $a1)) (local.get $shift)))
    (v128.store offset=160 (local.get $out) (i32x4.shr_s (i32x4.sub (local.get $t12) (local.get $a1)) (local.get $shift)))
    (v128.store offset=96 (local.get $out) (i32x4.shr_s (i32x4.add (local.get $t13) (local.get $a0)) (local.get $shift)))
    (v128.store offset=128 (local.get $out) (i32x4.shr_s (i32x4.sub (local.get $t13) (local.get $a0)) (local.get $shift))))

  ;; Transposes the 4×4 block of i32 at src (rows 32 bytes apart) into dst (same stride).
  (func $transpose4 (param $src i32) (param $dst i32)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $a (v128.load offset=0 (local.get $src)))
    (local.set $b (v128.load offset=32 (local.get $src)))
    (local.set $c (v128.load offset=64 (local.get $src)))
    (local.set $d (v128.load offset=96 (local.get $src)))
    ;; t0 = a0 b0 a1 b1, t1 = a2 b2 a3 b3 (t2, t3 the same of c and d)
    (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a) (local.get $b)))
    (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a) (local.get $b)))
    (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c) (local.get $d)))
    (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c) (local.get $d)))
    (v128.store offset=0 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
    (v128.store offset=32 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
    (v128.store offset=64 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
    (v128.store offset=96 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3))))

  ;; The block at 0 → 8 rows of 8 samples at out, out + stride, … (clamped to 0..255).
  (func (export "idct") (param $out i32) (param $stride i32)
    (local $r i32) (local $v v128)
    ;; pass 1, columns 0–3 and 4–7: block (256 bytes at 0) → ws at 256, row-major
    (call $idct1d (i32.const 0) (i32.const 256) (i32.const 1024) (i32.const 11))
    (call $idct1d (i32.const 16) (i32.const 272) (i32.const 1024) (i32.const 11))
    ;; ws → wsT at 512: wsT + 16g + 32k holds column k of rows 4g..4g+3
    (call $transpose4 (i32.const 256) (i32.const 512))
    (call $transpose4 (i32.const 272) (i32.const 640))
    (call $transpose4 (i32.const 384) (i32.const 528))
    (call $transpose4 (i32.const 400) (i32.const 656))
    ;; pass 2, rows 0–3 and 4–7 (lanes are rows): wsT → oT at 768, same layout
    (call $idct1d (i32.const 512) (i32.const 768) (i32.const 33685504) (i32.const 18))
    (call $idct1d (i32.const 528) (i32.const 784) (i32.const 33685504) (i32.const 18))
    ;; oT → row-major at 1024
    (call $transpose4 (i32.const 768) (i32.const 1024))
    (call $transpose4 (i32.const 896) (i32.const 1040))
    (call $transpose4 (i32.const 784) (i32.const 1152))
    (call $transpose4 (i32.const 912) (i32.const 1168))
    ;; two rows at a time: i32 → i16 → u8 with saturation (the range limit), 8 bytes per row
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $r) (i32.const 8)))
        (local.set $v
          (i8x16.narrow_i16x8_u
            (i16x8.narrow_i32x4_s
              (v128.load offset=1024 (i32.shl (local.get $r) (i32.const 5)))
              (v128.load offset=1040 (i32.shl (local.get $r) (i32.const 5))))
            (i16x8.narrow_i32x4_s
              (v128.load offset=1056 (i32.shl (local.get $r) (i32.const 5)))
              (v128.load offset=1072 (i32.shl (local.get $r) (i32.const 5))))))
        (v128.store64_lane 0 (local.get $out) (local.get $v))
        (v128.store64_lane 1 (i32.add (local.get $out) (local.get $stride)) (local.get $v))
        (local.set $out (i32.add (local.get $out) (i32.shl (local.get $stride) (i32.const 1))))
        (local.set $r (i32.add (local.get $r) (i32.const 2)))
        (br $rows)))))
