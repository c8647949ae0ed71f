
/*
 * Copyright (C) ngx_bedrud authors
 */


#ifndef _NGX_STUBS_H_INCLUDED_
#define _NGX_STUBS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


extern ngx_int_t   ngx_stub_fail_after;
extern ngx_pool_t  ngx_stub_pool;

void ngx_stub_init(void);
void ngx_stub_pool_reset(void);


#endif /* _NGX_STUBS_H_INCLUDED_ */
